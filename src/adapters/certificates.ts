import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CertificateError, errnoCode, messageOf } from '../core/errors.js';
import type { CertificateInfo } from '../core/ports.js';
import type { TlsSettings } from '../core/settings.js';

// Every certificate HAProxy would load is checked before a config naming it is applied: one
// line naming the file for a certificate that does not parse, has no key or a key of another
// certificate, or has expired (HAProxy itself would serve an expired one). A route host no
// certificate covers is a warning: SNI falls back to the default certificate.

// What HAProxy skips in a certificate directory (side files of a PEM, not certificates).
const SIDE_FILES = ['.key', '.ocsp', '.issuer', '.sctl'];

/** How far a certificate's start may lie in the future (clock skew between hosts). */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface CheckedCertificate {
  file: string;
  subject: string;
  validTo: Date;
  cert: X509Certificate;
  sha256: string;
  /** Expired, and served already (the live haproxy.cfg names it): a warning, not a refusal. */
  expired?: boolean;
}

async function expand(entry: string): Promise<string[]> {
  const info = await stat(entry).catch((error: unknown) => {
    throw new CertificateError(`certificate ${entry}: ${errnoCode(error) ?? messageOf(error)}`, {
      fix: 'create the file (PEM with certificate chain and key) or fix haproxy.tls.certificates',
      cause: error,
    });
  });
  if (!info.isDirectory()) return [entry];
  const names = (await readdir(entry)).filter((n) => !SIDE_FILES.some((s) => n.endsWith(s)) && !n.startsWith('.'));
  return names.sort().map((n) => path.join(entry, n));
}

function pemBlocks(text: string, label: RegExp): string[] {
  const blocks: string[] = [];
  const re = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;
  for (const match of text.matchAll(re)) if (label.test(match[1] ?? '')) blocks.push(match[0]);
  return blocks;
}

/** In docker-compose.yml linkswitch and HAProxy run as one non-root user: the key must be theirs. */
function unreadableFix(file: string, code: string | undefined): string {
  const [uid, gid] = [process.getuid?.(), process.getgid?.()];
  if (code !== 'EACCES' || uid === undefined || uid === 0) return 'check its permissions';
  return `make it readable by uid ${uid}, which linkswitch (and HAProxy beside it) runs as: chown ${uid}:${gid} ${file}`;
}

function refuse(file: string, problem: string, fix: string, cause?: unknown): never {
  throw new CertificateError(`certificate ${file}: ${problem}`, { fix, cause });
}

/** Whether `cert` serves `host`; a wildcard route is covered by a certificate for any name under it. */
export function covers(cert: X509Certificate, host: string): boolean {
  const name = host.startsWith('*.') ? `linkswitch-check${host.slice(1)}` : host;
  return cert.checkHost(name) !== undefined;
}

/** A certificate file HAProxy could load: it parses and holds (or sits beside) its own key. */
async function loadCertificate(file: string): Promise<{ cert: X509Certificate; sha256: string }> {
  const fail = (problem: string, fix: string, cause?: unknown) => refuse(file, problem, fix, cause);
  const text = await readFile(file, 'utf8').catch((error: unknown) =>
    fail(`unreadable (${errnoCode(error) ?? messageOf(error)})`, unreadableFix(file, errnoCode(error)), error),
  );
  const [certPem] = pemBlocks(text, /^CERTIFICATE$/);
  if (!certPem) return fail('no PEM certificate in it', 'put the certificate chain and its key in one PEM file');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    return fail('the certificate does not parse', 'replace it with a valid PEM certificate', error);
  }
  // HAProxy also takes the key from "<file>.key" when the PEM has none.
  const keyPem =
    pemBlocks(text, /PRIVATE KEY$/)[0] ??
    pemBlocks(await readFile(`${file}.key`, 'utf8').catch(() => ''), /PRIVATE KEY$/)[0];
  if (!keyPem) return fail('no private key in it (or beside it as .key)', 'append the private key to the PEM file');
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
      fail('the private key belongs to another certificate', 'pair the certificate with its own key');
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    fail('the private key does not parse', "replace it with the certificate's PEM private key", error);
  }
  // Of the whole file (chain and key): a renewal that keeps the certificate but changes the chain counts.
  return { cert, sha256: createHash('sha256').update(text).digest('hex') };
}

async function checkFile(file: string, now: Date, served: ReadonlySet<string>): Promise<CheckedCertificate> {
  const { cert, sha256 } = await loadCertificate(file);
  const fail = (problem: string, fix: string) => refuse(file, problem, fix);
  const validTo = new Date(cert.validTo);
  // HAProxy serves an expired certificate it has loaded; a change that does not touch it (a
  // deploy during the very incident) goes on, loudly. One this change would bring in is refused.
  if (validTo.getTime() <= now.getTime()) {
    if (served.has(sha256))
      return { file, subject: cert.subject.replace(/\n/g, ', '), validTo, cert, sha256, expired: true };
    fail(`expired on ${validTo.toISOString()}`, 'renew it (e.g. with your ACME client) before applying the config');
  }
  // A certificate issued a moment ago by a host whose clock runs ahead is not refused for that.
  if (new Date(cert.validFrom).getTime() > now.getTime() + CLOCK_SKEW_MS)
    fail(`not valid before ${new Date(cert.validFrom).toISOString()}`, 'check the clock, or use a current certificate');
  return { file, subject: cert.subject.replace(/\n/g, ', '), validTo, cert, sha256 };
}

/** One certificate file as `linkswitch certs` lists it: what it holds, or why HAProxy could not load it. */
export type FileCertificate =
  | { file: string; cert: X509Certificate; issuer: string; validTo: Date }
  | { file: string; error: string };

/** Every file `certificates` names (directories expanded), described rather than checked. */
export async function describeCertificateFiles(entries: readonly string[]): Promise<FileCertificate[]> {
  const described: FileCertificate[] = [];
  for (const entry of entries) {
    let files: string[];
    try {
      files = await expand(entry);
    } catch (error) {
      described.push({ file: entry, error: messageOf(error) });
      continue;
    }
    for (const file of files) {
      try {
        const { cert } = await loadCertificate(file);
        described.push({ file, cert, issuer: cert.issuer.replace(/\n/g, ', '), validTo: new Date(cert.validTo) });
      } catch (error) {
        described.push({ file, error: messageOf(error).replace(`certificate ${file}: `, '') });
      }
    }
  }
  return described;
}

/** The fingerprints the live haproxy.cfg names (`# certificate <file> sha256 <hex>`): what HAProxy serves. */
export function servedFingerprints(liveConfig: string | null): Set<string> {
  return new Set([...(liveConfig ?? '').matchAll(/^\s*# certificate \S+ sha256 ([a-f0-9]{64})/gm)].map((m) => m[1]!));
}

/**
 * Checks every certificate; returns what was loaded (each file's fingerprint, so a renewed file
 * changes the rendered config and is taken up by the next reload) and warnings for route hosts
 * no certificate covers.
 */
export async function checkCertificates(
  tls: TlsSettings,
  hosts: string[],
  now: Date,
  served: ReadonlySet<string> = new Set(),
): Promise<{ inventory: CertificateInfo[]; warnings: string[]; covered: string[] }> {
  const files = (await Promise.all(tls.certificates.map(expand))).flat();
  // ACME alone: its certificates are installed through the runtime API, its hosts are its own.
  if (tls.certificates.length === 0 && tls.acme) return { inventory: [], warnings: [], covered: [] };
  if (files.length === 0)
    throw new CertificateError(`no certificate in ${tls.certificates.join(', ')}`, {
      fix: 'put at least one PEM file (certificate chain and key) there',
    });
  const checked = await Promise.all([...new Set(files)].map((f) => checkFile(f, now, served)));
  const warnings: string[] = checked
    .filter((c) => c.expired)
    .map(
      (c) =>
        `certificate ${c.file} expired on ${c.validTo.toISOString()}: HAProxy serves it and clients refuse it; renew it now`,
    );
  const covered: string[] = [];
  const acmeHosts = tls.acme?.hosts ?? [];
  for (const host of [...new Set([...hosts, ...acmeHosts])]) {
    if (checked.some((c) => covers(c.cert, host))) covered.push(host);
    else if (!acmeHosts.includes(host))
      warnings.push(`no certificate covers ${host}; HTTPS clients get the default (${checked[0]!.file})`);
  }
  const inventory = checked.map((c) => ({
    file: c.file,
    sha256: c.sha256,
    validTo: c.validTo.toISOString(),
  }));
  // Files win for the hosts they cover: ACME leaves those alone.
  return { inventory, warnings, covered };
}
