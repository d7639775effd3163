import path from 'node:path';
import { UnsafeValueError } from './errors.js';
import { safeFsPath } from './safe-values.js';

// Where ACME's files live (haproxy.tls.acme.dir, beside haproxy.cfg so HAProxy reads them).
// HAProxy names a certificate by its path: the same path is the crt-list's line, the runtime
// API's handle (`set ssl cert <path>`) and the file a reload loads.

/** An HTTP-01 token as the CA sends it (base64url): what may be a key of the challenge map. */
export const ACME_TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export interface AcmePaths {
  dir: string;
  /** The CA account: its key and URL (mode 600; never read by HAProxy). */
  account: string;
  /** Per host: last issue, last error, next attempt. */
  status: string;
  /** Token → key authorization: what HAProxy answers on /.well-known/acme-challenge/. */
  challenges: string;
  /** The certificates issued so far, one path per line: HAProxy's `crt-list`. */
  crtList: string;
  /** Self-signed, served until a certificate exists (a TLS bind needs one). */
  defaultCertificate: string;
  /** One order at a time, whoever runs it (the sidecar, a timer, a person). */
  lock: string;
}

export function acmePaths(dir: string): AcmePaths {
  const at = (name: string) => safeFsPath(path.join(dir, name), 'ACME file');
  return {
    dir: safeFsPath(dir, 'haproxy.tls.acme.dir'),
    account: at('account.json'),
    status: at('status.json'),
    challenges: at('challenges.map'),
    crtList: at('certificates.crtlist'),
    defaultCertificate: at('default.pem'),
    lock: at('acme.lock'),
  };
}

/** The PEM file of one host's certificate (chain and key). */
export function certificateFile(dir: string, host: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(host))
    throw new UnsafeValueError(`invalid certificate host ${JSON.stringify(host)}`, { fix: 'report this as a bug' });
  return safeFsPath(path.join(dir, 'certs', `${host}.pem`), 'certificate path');
}
