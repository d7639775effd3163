import { webcrypto } from 'node:crypto';
import { x509 } from './x509.js';

// The certificate a TLS bind serves before any other exists (ACME only, nothing issued yet):
// self-signed, ECDSA P-256, named "linkswitch default". Browsers refuse it, as they should; it
// lets HAProxy start and answer the CA's HTTP-01 challenges on port 80 meanwhile.
// @peculiar/x509 (adapters/x509.ts) is loaded only when such a file is missing.

const YEAR_MS = 365 * 24 * 3600 * 1000;

export async function selfSignedPem(now = new Date()): Promise<string> {
  const lib = x509();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: 'CN=linkswitch default',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 10 * YEAR_MS),
    keys,
    signingAlgorithm: algorithm,
  });
  const key = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${key.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return `${cert.toString('pem')}\n${keyPem}`;
}
