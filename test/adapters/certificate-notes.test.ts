import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateNotes } from '../../src/app/certificate-rows.js';
import { parseConfig } from '../../src/config/load.js';
import { createCa, type TestCa } from '../support/tls.js';

// `status`'s certificate lines, on real files: a certificate file close to its expiry, and ACME
// hosts without a certificate, from 14 days before expiry for both kinds.

describe('certificateNotes', () => {
  let dir: string;
  let ca: TestCa;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-notes-'));
    ca = await createCa(path.join(dir, 'ca'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (tls: string) =>
    parseConfig(
      `service: { name: web, image: web:1, port: 8080 }\nhaproxy:\n  bind: 127.0.0.1:8080\n  configFile: ${dir}/haproxy.cfg\n  tls: ${tls}\n`,
      path.join(dir, 'linkswitch.yml'),
    );

  it('names a certificate file that expires within 14 days', async () => {
    // The test CA issues for two days.
    const soon = await ca.issue({ hosts: ['a.test'], outDir: path.join(dir, 'certs'), fileName: 'soon.pem' });
    const notes = await certificateNotes(config(`{ certificates: [${soon}] }`), new Date(), null);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(new RegExp(`^certificate ${soon} expires in [12] days \\(.*\\): renew it$`));
  });

  it('names each ACME host that has no certificate yet', async () => {
    const notes = await certificateNotes(
      config('{ acme: { email: ops@a.test, termsOfServiceAgreed: true, hosts: [a.test, b.test] } }'),
      new Date(),
      null,
    );
    expect(notes).toEqual([
      'a.test: no certificate yet (the default one is served)',
      'b.test: no certificate yet (the default one is served)',
    ]);
  });
});
