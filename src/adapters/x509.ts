import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';

// @peculiar/x509, for what Node's X509Certificate cannot do (make a certificate, read its
// Authority Key Identifier): loaded only by certificate work, with Node's WebCrypto behind it.

export function x509(): typeof import('@peculiar/x509') {
  // require, as dockerode: an import() from the bundled CLI runs through vm's experimental loader.
  const lib = createRequire(import.meta.url)('@peculiar/x509') as typeof import('@peculiar/x509');
  lib.cryptoProvider.set(webcrypto as unknown as Crypto);
  return lib;
}
