// ACME Renewal Information (RFC 9773): the CA says when to renew each certificate, as a window.
// Let's Encrypt moves a window into the past when it must revoke certificates early (a
// mis-issuance incident); a client that asks renews in time, one that waits for two thirds of
// the lifetime serves a revoked certificate. Pure: the certificate's ARI id and when to renew.

/** A window the CA suggested for one certificate (by serial), and when to ask again. */
export interface RenewalInfo {
  serial: string;
  /** null: the CA has no renewal information (its directory names no renewalInfo). */
  window: { start: string; end: string } | null;
  /** The CA's Retry-After, bounded: no question before this. */
  checkAt: string;
}

const base64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

/**
 * RFC 9773 §4.1: base64url of the Authority Key Identifier's keyIdentifier, ".", base64url of the
 * serial number's DER integer bytes (a leading zero byte when the top bit is set). Hex in.
 */
export function ariCertId(authorityKeyIdHex: string, serialHex: string): string {
  let serial = serialHex.toLowerCase().replace(/^(00)+(?=..)/, '');
  if (serial.length % 2) serial = `0${serial}`;
  if (Number.parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${base64url(authorityKeyIdHex.toLowerCase())}.${base64url(serial)}`;
}

/**
 * When to renew within the window: one fixed point per certificate, spread over the window as
 * RFC 9773 §4.2 asks (a uniform random time), but the same on every run, so an hourly timer does
 * not roll the dice 24 times a day. A window already past: now.
 */
export function renewAt(window: { start: string; end: string }, serial: string): Date {
  const start = Date.parse(window.start);
  const end = Math.max(start, Date.parse(window.end));
  // FNV-1a of the serial: a fraction in [0, 1).
  let hash = 0x811c9dc5;
  for (const char of serial) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return new Date(start + Math.floor((end - start) * (hash / 2 ** 32)));
}

const HOUR_MS = 3_600_000;

/** How long to wait before asking again: the CA's Retry-After, between 1 hour and 1 day (6 h if none). */
export function nextCheck(now: Date, retryAfterSeconds: number | null): Date {
  const wait = retryAfterSeconds === null ? 6 * HOUR_MS : retryAfterSeconds * 1000;
  return new Date(now.getTime() + Math.min(Math.max(wait, HOUR_MS), 24 * HOUR_MS));
}
