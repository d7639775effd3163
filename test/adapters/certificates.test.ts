import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCertificates, servedFingerprints } from '../../src/adapters/certificates.js';
import { CertificateError } from '../../src/core/errors.js';
import type { TlsSettings } from '../../src/core/settings.js';
import { createCa, type TestCa } from '../support/tls.js';

// The certificate check before any reload, on certificates openssl makes for this test.

describe('checkCertificates', () => {
  let dir: string;
  let ca: TestCa;
  let site: string;
  const tls = (certificates: string[]): TlsSettings => ({
    bind: '127.0.0.1:8443',
    certificates,
    acme: null,
    redirect: 308,
    hsts: null,
    minVersion: 'TLSv1.2',
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-certs-'));
    ca = await createCa(path.join(dir, 'ca'));
    site = await ca.issue({ hosts: ['app.test', '*.app.test'], outDir: path.join(dir, 'certs'), fileName: 'site.pem' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists each file with its fingerprint and expiry, and warns about hosts no certificate covers', async () => {
    const { inventory, warnings } = await checkCertificates(
      tls([path.join(dir, 'certs')]),
      ['app.test', '*.app.test', 'other.test'],
      new Date(),
    );
    expect(inventory).toHaveLength(1);
    expect(inventory[0]).toMatchObject({ file: site, sha256: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(new Date(inventory[0]!.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(warnings).toEqual([`no certificate covers other.test; HTTPS clients get the default (${site})`]);
  });

  it('lets a change go on past an expired certificate HAProxy serves already, loudly; refuses one it brings in', async () => {
    const old = await ca.issue({
      hosts: ['app.test'],
      outDir: path.join(dir, 'served'),
      fileName: 'old.pem',
      expired: true,
    });
    await expect(checkCertificates(tls([old]), [], new Date())).rejects.toThrow(/expired on/);
    const live = `    # certificate ${old} sha256 ${createHash('sha256')
      .update(await readFile(old, 'utf8'))
      .digest('hex')} valid until 2020-01-02T00:00:00.000Z\n`;
    const { inventory, warnings } = await checkCertificates(tls([old]), [], new Date(), servedFingerprints(live));
    expect(inventory.map((c) => c.file)).toEqual([old]);
    expect(warnings).toEqual([
      `certificate ${old} expired on 2020-01-02T00:00:00.000Z: HAProxy serves it and clients refuse it; renew it now`,
    ]);
  });

  it('takes the key from "<file>.key" beside a PEM without one, as HAProxy does', async () => {
    const text = await readFile(site, 'utf8');
    const split = path.join(dir, 'split.pem');
    const keyAt = text.indexOf('-----BEGIN PRIVATE KEY-----');
    await writeFile(split, text.slice(0, keyAt));
    await writeFile(`${split}.key`, text.slice(keyAt));
    await expect(checkCertificates(tls([split]), [], new Date())).resolves.toMatchObject({ warnings: [] });
  });

  it('takes a certificate whose start lies a little in the future (clock skew), not one far ahead', async () => {
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await expect(checkCertificates(tls([site]), [], aMinuteAgo)).resolves.toMatchObject({ warnings: [] });
    const yesterday = new Date(Date.now() - 24 * 3_600_000);
    await expect(checkCertificates(tls([site]), [], yesterday)).rejects.toThrow(/not valid before/);
  });

  it.each([
    [
      'expired',
      async () => ca.issue({ hosts: ['a.test'], outDir: dir, fileName: 'old.pem', expired: true }),
      /expired on 2020-01-02T00:00:00\.000Z/,
    ],
    [
      'without a key',
      async () => {
        const text = await readFile(site, 'utf8');
        const file = path.join(dir, 'nokey.pem');
        await writeFile(file, text.slice(0, text.indexOf('-----BEGIN PRIVATE KEY-----')));
        return file;
      },
      /no private key/,
    ],
    [
      'with the key of another certificate',
      async () => {
        const other = await readFile(await ca.issue({ hosts: ['b.test'], outDir: dir, fileName: 'b.pem' }), 'utf8');
        const text = await readFile(site, 'utf8');
        const file = path.join(dir, 'mismatch.pem');
        await writeFile(
          file,
          text.slice(0, text.indexOf('-----BEGIN PRIVATE KEY-----')) +
            other.slice(other.indexOf('-----BEGIN PRIVATE KEY-----')),
        );
        return file;
      },
      /private key belongs to another certificate/,
    ],
    [
      'that is not a certificate',
      async () => {
        const file = path.join(dir, 'junk.pem');
        await writeFile(file, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
        return file;
      },
      /does not parse/,
    ],
    ['that is missing', async () => path.join(dir, 'absent.pem'), /ENOENT/],
  ])('refuses a certificate %s, naming the file', async (_what, make, pattern) => {
    const file = await make();
    const check = checkCertificates(tls([site, file]), [], new Date());
    await expect(check).rejects.toBeInstanceOf(CertificateError);
    await expect(check).rejects.toThrow(`certificate ${file}: `);
    await expect(check).rejects.toThrow(pattern);
  });
});
