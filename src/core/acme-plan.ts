// Which hosts an ACME run orders a certificate for, and when a failed host is tried again: pure,
// from the certificates held, what the status file says, and the clock.

import { type RenewalInfo, renewAt } from './acme-renewal-info.js';

/** A certificate linkswitch holds for a host (read from its PEM file). */
export interface HeldCertificate {
  host: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
  issuer: string;
}

/** Per host, in status.json: what the last attempts did. */
export interface AcmeHostStatus {
  lastIssuedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Consecutive failures; the next automatic attempt waits longer after each. */
  failures: number;
  /** What the CA last said about renewing the certificate held (RFC 9773), if it says anything. */
  renewalInfo?: RenewalInfo;
}

export type AcmeStatus = Record<string, AcmeHostStatus>;

export const NO_STATUS: AcmeHostStatus = { lastIssuedAt: null, lastError: null, lastErrorAt: null, failures: 0 };

/**
 * When a held certificate is due: inside the CA's renewal window when it gave one for this very
 * certificate (RFC 9773: earlier than usual when it must revoke), else at two thirds of the lifetime.
 */
export function dueDate(cert: HeldCertificate, status: AcmeHostStatus): Date {
  const info = status.renewalInfo;
  if (!info?.window || info.serial !== cert.serial) return renewalDue(cert);
  // A window past the expiry (a CA's mistake) still leaves a sixth of the lifetime to renew in.
  const latest = cert.notAfter.getTime() - (cert.notAfter.getTime() - cert.notBefore.getTime()) / 6;
  return new Date(Math.min(renewAt(info.window, cert.serial).getTime(), latest));
}

/** Whether to ask the CA for a held certificate's renewal window now. */
export function renewalInfoWanted(cert: HeldCertificate, status: AcmeHostStatus, now: Date): boolean {
  const info = status.renewalInfo;
  return !info || info.serial !== cert.serial || Date.parse(info.checkAt) <= now.getTime();
}

/** Let's Encrypt's advice for certificates without renewal information: at two thirds of the lifetime. */
export function renewalDue(cert: Pick<HeldCertificate, 'notBefore' | 'notAfter'>): Date {
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  return new Date(cert.notBefore.getTime() + (lifetime * 2) / 3);
}

const MINUTE_MS = 60_000;
const MAX_BACKOFF_MS = 24 * 60 * MINUTE_MS;

/** After n failures in a row: 5, 10, 20 … minutes, at most a day (CA rate limits count failures). */
export function retryAfter(status: AcmeHostStatus): Date | null {
  if (status.failures === 0 || !status.lastErrorAt) return null;
  const wait = Math.min(5 * MINUTE_MS * 2 ** (status.failures - 1), MAX_BACKOFF_MS);
  return new Date(Date.parse(status.lastErrorAt) + wait);
}

export interface AcmePlanInput {
  /** haproxy.tls.acme's hosts. */
  hosts: readonly string[];
  /** Hosts a certificate file covers: files win, ACME leaves them alone. */
  coveredByFiles: readonly string[];
  held: readonly HeldCertificate[];
  status: AcmeStatus;
  now: Date;
  /** Order even when nothing is due and past any back-off (`certs renew --force`). */
  force?: boolean;
  /** Only these hosts (`certs renew host…`); each must be one of `hosts`. */
  only?: readonly string[];
}

export interface AcmePlan {
  /** To order now: missing, due for renewal, or forced. */
  order: string[];
  /** Failed lately: tried again from `until` (or now with --force). */
  waiting: Array<{ host: string; until: Date }>;
  /** Held and not due before `due`. */
  current: Array<{ host: string; due: Date }>;
}

export function planAcme(input: AcmePlanInput): AcmePlan {
  const plan: AcmePlan = { order: [], waiting: [], current: [] };
  const wanted = input.hosts.filter(
    (h) => !input.coveredByFiles.includes(h) && (!input.only || input.only.includes(h)),
  );
  for (const host of wanted) {
    const held = input.held.find((c) => c.host === host);
    const status = input.status[host] ?? NO_STATUS;
    const due = held ? dueDate(held, status) : null;
    if (!input.force && held && due && due > input.now) {
      plan.current.push({ host, due });
      continue;
    }
    const until = retryAfter(status);
    if (!input.force && until && until > input.now) plan.waiting.push({ host, until });
    else plan.order.push(host);
  }
  return plan;
}

/** The status after an attempt for `host`. */
export function afterAttempt(status: AcmeStatus, host: string, now: Date, error: string | null): AcmeStatus {
  const previous = status[host] ?? NO_STATUS;
  const next: AcmeHostStatus = error
    ? { ...previous, lastError: error, lastErrorAt: now.toISOString(), failures: previous.failures + 1 }
    : { lastIssuedAt: now.toISOString(), lastError: null, lastErrorAt: null, failures: 0 };
  return { ...status, [host]: next };
}
