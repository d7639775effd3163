import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateRow, certificateNotes, certificateRows } from '../../src/app/certificate-rows.js';
import { parseConfig } from '../../src/config/load.js';
import { nextRunDelay } from '../../src/sidecar/certificate-renewals.js';
import { Metrics } from '../../src/sidecar/metrics.js';
import { createCa, type TestCa } from '../support/tls.js';

// `linkswitch certs`, `status`'s certificate lines and the expiry gauges, on real files: every
// HTTPS host with the certificate it gets (a file wins, else ACME, else HAProxy's default), files
// that are broken or expired as rows with their problem rather than a refusal, and warnings from
// 14 days before expiry for files and ACME hosts alike.

let dir: string;
let ca: TestCa;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-rows-'));
  ca = await createCa(path.join(dir, 'ca'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('certificateNotes', () => {
  const config = (tls: string) =>
    parseConfig(
      `service: { name: web, image: web:1, port: 8080 }\nhaproxy:\n  bind: 127.0.0.1:8080\n  configFile: ${dir}/haproxy.cfg\n  tls: ${tls}\n`,
      path.join(dir, 'linkswitch.yml'),
    );

  it('names a certificate file that expires within 14 days', async () => {
    // The test CA issues for two days.
    const soon = await ca.issue({ hosts: ['a.test'], outDir: path.join(dir, 'soon'), fileName: 'soon.pem' });
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

describe('certificateRows', () => {
  const config = (tls: string) =>
    parseConfig(
      [
        'services:',
        '  shop: { image: shop:1, port: 8080, routes: [shop.test, "*.wild.test"] }',
        '  api: { image: api:1, port: 8080, routes: [api.test] }',
        '  blog: { image: blog:1, port: 8080, routes: [blog.test] }',
        'haproxy:',
        '  bind: 127.0.0.1:8080',
        `  configFile: ${dir}/haproxy.cfg`,
        `  tls: ${tls}`,
        '',
      ].join('\n'),
      path.join(dir, 'linkswitch.yml'),
    );

  it('gives every route host its source: a file that covers it, ACME, or none', async () => {
    const certs = path.join(dir, 'certs');
    const shop = await ca.issue({ hosts: ['shop.test', '*.wild.test'], outDir: certs, fileName: 'shop.pem' });
    const rows = await certificateRows(
      config(`{ certificates: [${shop}], acme: { email: ops@a.test, termsOfServiceAgreed: true, hosts: [api.test] } }`),
      new Date(),
    );
    const by = Object.fromEntries(rows.map((r) => [r.host, r]));
    expect(Object.keys(by).sort()).toEqual(['*.wild.test', 'api.test', 'blog.test', 'shop.test']);
    expect(by['shop.test']).toMatchObject({ source: 'file', file: shop, lastError: null });
    expect(by['shop.test']!.issuer).toMatch(/linkswitch test CA/);
    expect(by['shop.test']!.daysLeft).toBeGreaterThanOrEqual(1);
    expect(by['*.wild.test']).toMatchObject({ source: 'file', file: shop });
    // No certificate yet from the CA: none, and nothing to count down.
    expect(by['api.test']).toMatchObject({ source: 'acme', notAfter: null, daysLeft: null });
    expect(by['blog.test']!.source).toBe('none');
    expect(by['blog.test']!.lastError).toContain(`clients get HAProxy's default, ${shop}`);
  });

  it('lists an expired file and a broken one with their problem instead of failing', async () => {
    const certs = path.join(dir, 'bad');
    const expired = await ca.issue({ hosts: ['api.test'], outDir: certs, fileName: 'old.pem', expired: true });
    const broken = path.join(certs, 'broken.pem');
    await writeFile(broken, 'not a certificate\n');
    const rows = await certificateRows(config(`{ certificates: [${expired}, ${broken}] }`), new Date());
    const api = rows.find((r) => r.host === 'api.test');
    expect(api).toMatchObject({ source: 'file', file: expired, daysLeft: expect.any(Number) });
    expect(api!.lastError).toMatch(/^expired on 2020-01-02.*renew the file$/);
    const bad = rows.find((r) => r.file === broken);
    expect(bad).toMatchObject({ host: '-', source: 'file', lastError: 'no PEM certificate in it' });
  });

  it('refuses a config without TLS, naming the fix', async () => {
    const plain = parseConfig(
      `service: { name: web, image: web:1, port: 8080 }\nhaproxy: { bind: 127.0.0.1:8080, configFile: ${dir}/h.cfg }\n`,
      path.join(dir, 'plain.yml'),
    );
    await expect(certificateRows(plain, new Date())).rejects.toThrow(/no haproxy.tls/);
  });
});

describe('the sidecar’s renewal schedule and certificate gauges', () => {
  const row = (over: Partial<CertificateRow>): CertificateRow => ({
    host: 'a.test',
    source: 'acme',
    file: null,
    issuer: null,
    notAfter: null,
    daysLeft: null,
    lastError: null,
    lastIssuedAt: null,
    nextAttempt: null,
    renewalWindow: null,
    ...over,
  });
  const now = new Date('2026-12-01T00:00:00Z');

  it('runs again when a failed host’s back-off ends, within the hour otherwise', () => {
    expect(nextRunDelay([row({})], now, 3_600_000)).toBe(3_600_000);
    const failing = row({ lastError: 'CA down', nextAttempt: '2026-12-01T00:05:00.000Z' });
    expect(nextRunDelay([row({}), failing], now, 3_600_000)).toBe(301_000);
    // A back-off longer than the hour waits for the hourly run; files have no back-off.
    expect(nextRunDelay([row({ nextAttempt: '2026-12-02T00:00:00.000Z' })], now, 3_600_000)).toBe(3_600_000);
    expect(nextRunDelay([row({ source: 'file', nextAttempt: '2026-12-01T00:00:10.000Z' })], now, 60_000)).toBe(60_000);
  });

  it('gauges files and ACME alike, escapes a name from a certificate, flags only ACME orders', () => {
    const text = Metrics.render(
      [],
      [
        row({ notAfter: '2026-12-31T00:00:00.000Z', lastError: 'rate limited' }),
        row({ host: 'odd"name', source: 'file', notAfter: '2026-12-02T00:00:00.000Z', lastError: 'expired' }),
      ],
      now,
    );
    expect(text).toContain('linkswitch_certificate_expiry_seconds{host="a.test",source="acme"} 2592000');
    expect(text).toContain('linkswitch_certificate_expiry_seconds{host="odd\\"name",source="file"} 86400');
    expect(text).toContain('linkswitch_certificate_renewal_failing{host="a.test"} 1');
    expect(text).not.toContain('linkswitch_certificate_renewal_failing{host="odd');
  });
});
