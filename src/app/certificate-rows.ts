import { AcmeStore } from '../adapters/acme-store.js';
import { checkCertificates, covers, describeCertificateFiles, servedFingerprints } from '../adapters/certificates.js';
import { acmePaths, certificateFile } from '../core/acme-paths.js';
import { retryAfter } from '../core/acme-plan.js';
import { ConfigError, messageOf } from '../core/errors.js';
import type { Settings } from '../core/settings.js';

// What `linkswitch certs`, the expiry gauges and `status` report: every host the stack serves on
// HTTPS and the certificate it gets. Certificate files win for the hosts they cover (as in
// haproxy.cfg); ACME holds the rest of its hosts; a route host neither covers gets HAProxy's
// default certificate. A file HAProxy could not load is a row with its problem, never a throw:
// this is how a person finds out.

const DAY_MS = 86_400_000;
const daysUntil = (to: Date, now: Date) => Math.floor((to.getTime() - now.getTime()) / DAY_MS);

export interface CertificateRow {
  /** A host, or for a file that covers none of the routes, the name it is for. */
  host: string;
  source: 'acme' | 'file' | 'none';
  file: string | null;
  issuer: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  /** Why the host is not served a good certificate: an ACME order that failed, a broken or expired file. */
  lastError: string | null;
  lastIssuedAt: string | null;
  nextAttempt: string | null;
  /** ACME: the CA's renewal window for the certificate held (RFC 9773), if it gave one. */
  renewalWindow: { start: string; end: string } | null;
}

/** From this many days before expiry, a certificate is a note in `status` (and flagged in `certs`). */
export const WARN_DAYS = 14;

function routeHosts(config: Settings): string[] {
  return [...new Set(config.services.flatMap((e) => e.service.routes.map((r) => r.host)))];
}

/** `linkswitch certs`: every host and its certificate (file, ACME or none), and every file. */
export async function certificateRows(config: Settings, now: Date): Promise<CertificateRow[]> {
  const tls = config.tls;
  if (!tls)
    throw new ConfigError('the config has no haproxy.tls: HAProxy serves no certificate', {
      fix: 'add haproxy.tls with certificates (PEM files) or acme (an email) to serve HTTPS',
    });
  const acme = tls.acme;
  const store = acme ? new AcmeStore(acmePaths(acme.dir)) : null;
  const [files, held, status] = await Promise.all([
    describeCertificateFiles(tls.certificates),
    store && acme ? store.held(acme.hosts) : [],
    store ? store.status() : ({} as Awaited<ReturnType<AcmeStore['status']>>),
  ]);
  const blank = {
    file: null,
    issuer: null,
    notAfter: null,
    daysLeft: null,
    lastIssuedAt: null,
    nextAttempt: null,
    renewalWindow: null,
  };
  const rows: CertificateRow[] = [];
  const used = new Set<string>();
  const fileRow = (host: string, f: (typeof files)[number]): CertificateRow => {
    used.add(f.file);
    if ('error' in f) return { ...blank, host, source: 'file', file: f.file, lastError: f.error };
    const expired = f.validTo.getTime() <= now.getTime();
    return {
      ...blank,
      host,
      source: 'file',
      file: f.file,
      issuer: f.issuer,
      notAfter: f.validTo.toISOString(),
      daysLeft: daysUntil(f.validTo, now),
      lastError: expired ? `expired on ${f.validTo.toISOString()}: renew the file` : null,
    };
  };
  for (const host of [...new Set([...routeHosts(config), ...(acme?.hosts ?? [])])].sort()) {
    const file = files.find((f) => 'cert' in f && covers(f.cert, host));
    if (file) {
      rows.push(fileRow(host, file));
      continue;
    }
    if (acme?.hosts.includes(host)) {
      const cert = held.find((c) => c.host === host);
      const s = status[host];
      const next = s ? retryAfter(s) : null;
      rows.push({
        host,
        source: 'acme',
        file: cert ? certificateFile(acme.dir, host) : null,
        issuer: cert?.issuer ?? null,
        notAfter: cert?.notAfter.toISOString() ?? null,
        daysLeft: cert ? daysUntil(cert.notAfter, now) : null,
        lastError: s?.lastError ?? null,
        lastIssuedAt: s?.lastIssuedAt ?? null,
        nextAttempt: next && next > now ? next.toISOString() : null,
        renewalWindow: (cert && s?.renewalInfo?.serial === cert.serial && s.renewalInfo.window) || null,
      });
      continue;
    }
    const fallback = files.length > 0 ? `HAProxy's default, ${files[0]!.file}` : "HAProxy's default";
    rows.push({ ...blank, host, source: 'none', lastError: `no certificate covers it: clients get ${fallback}` });
  }
  // Files no host above uses (the default certificate of a service without routes, a spare).
  for (const f of files)
    if (!used.has(f.file))
      rows.push(fileRow('cert' in f ? (f.cert.subject.match(/CN=([^\n,]+)/)?.[1] ?? '-') : '-', f));
  return rows;
}

/** `status`'s certificate lines: files (expired, expiring) and ACME hosts (missing, expiring, failing). */
export async function certificateNotes(config: Settings, now: Date, liveConfig: string | null): Promise<string[]> {
  const tls = config.tls;
  if (!tls) return [];
  const notes: string[] = [];
  if (tls.certificates.length > 0) {
    try {
      const { inventory, warnings } = await checkCertificates(tls, [], now, servedFingerprints(liveConfig));
      notes.push(...warnings.filter((w) => w.includes(' expired on ')));
      for (const c of inventory) {
        const left = daysUntil(new Date(c.validTo), now);
        if (left >= 0 && left < WARN_DAYS)
          notes.push(`certificate ${c.file} expires in ${left} days (${c.validTo}): renew it`);
      }
    } catch (error) {
      notes.push(messageOf(error).split('\n')[0]!);
    }
  }
  if (tls.acme) {
    for (const row of await certificateRows(config, now)) {
      if (row.source !== 'acme') continue;
      const failing = row.lastError ? `; last order failed: ${row.lastError}` : '';
      if (row.daysLeft === null) notes.push(`${row.host}: no certificate yet (the default one is served)${failing}`);
      else if (row.daysLeft < WARN_DAYS)
        notes.push(`${row.host}: certificate expires in ${row.daysLeft} days${failing}`);
      else if (row.lastError) notes.push(`${row.host}: renewal failing (the current certificate serves)${failing}`);
    }
  }
  return notes;
}
