import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askRenewalInfo, certIdOf } from '../../src/adapters/acme-renewal-info.js';
import { ariCertId } from '../../src/core/acme-renewal-info.js';
import { createCa } from '../support/tls.js';

// A certificate's ARI id (RFC 9773) from its PEM, against what openssl reads from the same file;
// what a CA's answers become: a CA with renewalInfo (its window and Retry-After), one without it
// (Debian 12's Pebble), one that does not answer. Pebble 2.6 in acme.test is the real CA.

describe('ACME renewal information from the CA', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-ari-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is the Authority Key Identifier and serial openssl reads', async () => {
    const ca = await createCa(path.join(dir, 'ca'));
    const file = await ca.issue({ hosts: ['a.test'], outDir: dir, fileName: 'a.pem' });
    const { stdout } = await execa('openssl', [
      'x509',
      '-in',
      file,
      '-noout',
      '-ext',
      'authorityKeyIdentifier',
      '-serial',
    ]);
    const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(stdout)?.[1]?.replace(/:/g, '');
    const serial = /serial=([0-9A-F]+)/.exec(stdout)?.[1];
    expect(aki).toMatch(/^[0-9A-F]{40}$/);
    expect(certIdOf(await readFile(file, 'utf8'))).toBe(ariCertId(aki!, serial!));
  });

  it('reads a window and Retry-After, a CA without ARI, and one that does not answer', async () => {
    const ca = await createCa(path.join(dir, 'ca2'));
    const pem = await readFile(await ca.issue({ hosts: ['localhost'], outDir: dir, fileName: 'srv.pem' }), 'utf8');
    const cert = await readFile(await ca.issue({ hosts: ['a.test'], outDir: dir, fileName: 'b.pem' }), 'utf8');
    await writeFile(path.join(dir, 'ca.pem'), ca.pem);
    let withAri = true;
    const asked: string[] = [];
    const server = https.createServer({ cert: pem, key: pem }, (request, response) => {
      asked.push(request.url ?? '');
      const base = `https://localhost:${(server.address() as AddressInfo).port}`;
      if (request.url !== '/dir') response.setHeader('retry-after', '7200');
      response.end(
        JSON.stringify(
          request.url === '/dir'
            ? { newOrder: `${base}/new`, ...(withAri ? { renewalInfo: `${base}/ari/` } : {}) }
            : { suggestedWindow: { start: '2027-01-01T00:00:00Z', end: '2027-01-02T00:00:00Z' } },
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const settings = {
      email: 'ops@a.test',
      directoryUrl: `https://localhost:${port}/dir`,
      directoryCa: path.join(dir, 'ca.pem'),
      keyType: 'ecdsa-p256' as const,
      hosts: ['a.test'],
      dir,
    };
    const now = new Date('2026-12-01T00:00:00Z');
    const certs = [{ host: 'a.test', serial: '1001', pem: cert }];
    try {
      expect(await askRenewalInfo(settings, certs, now)).toEqual([
        {
          host: 'a.test',
          info: {
            serial: '1001',
            window: { start: '2027-01-01T00:00:00.000Z', end: '2027-01-02T00:00:00.000Z' },
            checkAt: '2026-12-01T02:00:00.000Z',
          },
        },
      ]);
      expect(asked.at(-1)).toBe(`/ari/${certIdOf(cert)}`);
      withAri = false;
      expect(await askRenewalInfo(settings, certs, now)).toEqual([
        { host: 'a.test', info: { serial: '1001', window: null, checkAt: '2026-12-02T00:00:00.000Z' } },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const [down] = await askRenewalInfo(settings, certs, now);
    expect(down).toEqual({ host: 'a.test', error: 'directory: ECONNREFUSED' });
  });
});
