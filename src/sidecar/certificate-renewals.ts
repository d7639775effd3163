import type { Logger } from 'pino';
import type { CertificateRow } from '../app/certificate-rows.js';
import { messageOf } from '../core/errors.js';
import type { Service } from '../core/service.js';

// The sidecar renews ACME certificates by itself: a first run once it serves (what `up` would
// issue), one whenever the config changes (a host added gets its certificate at once), then
// one every hour, or sooner when a failed host's back-off ends (src/core/acme-plan.ts). Each run
// orders only what is due (two thirds of the lifetime); the ACME lock keeps a `certs renew` from
// a person or a timer from ordering at the same time (that run is then skipped).
// The rows (every HTTPS host, file and ACME alike) feed the expiry gauges of /metrics.

export const RENEW_EVERY_MS = 60 * 60_000;
/** A run that could not start (the lock held, the CA unreachable) is tried again this soon. */
export const RETRY_MS = 5 * 60_000;
/** Certificate files change behind the sidecar's back (another ACME client): rows this old are re-read. */
const ROWS_MAX_AGE_MS = 60_000;

/** When to run next: within the hour, or when the earliest failed host may be tried again. */
export function nextRunDelay(rows: readonly CertificateRow[], now: Date, everyMs: number): number {
  const retries = rows
    .filter((r) => r.source === 'acme' && r.nextAttempt !== null)
    .map((r) => Date.parse(r.nextAttempt as string) - now.getTime() + 1000);
  return Math.max(1000, Math.min(everyMs, ...retries));
}

export class CertificateRenewals {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private rows: CertificateRow[] = [];
  private rowsAt = 0;
  private refreshing: Promise<CertificateRow[]> | null = null;

  constructor(
    private readonly service: () => Service,
    private readonly log: Logger,
    private readonly everyMs = RENEW_EVERY_MS,
  ) {}

  start(): void {
    this.runSoon(0);
  }

  /** A new config: its hosts may need certificates now, not within the hour. */
  configChanged(): void {
    if (this.timer === null || this.stopped) return;
    // A run in flight reschedules itself when it ends; it may have read the old config.
    if (this.running) void this.running.then(() => this.runSoon(0));
    else this.runSoon(0);
  }

  /** Expiry per host for the gauges, re-read when older than a minute. */
  async current(): Promise<CertificateRow[]> {
    if (Date.now() - this.rowsAt > ROWS_MAX_AGE_MS) await this.refresh();
    return this.rows;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.running ?? Promise.resolve();
  }

  private refresh(): Promise<CertificateRow[]> {
    const config = this.service().config;
    if (!config.tls) return Promise.resolve(this.rows);
    this.refreshing ??= import('../app/certificate-rows.js')
      .then(({ certificateRows }) => certificateRows(config, new Date()))
      .then((rows) => {
        this.rows = rows;
        this.rowsAt = Date.now();
        return rows;
      })
      .catch(() => this.rows)
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private runSoon(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.run().then(
        (delay) => {
          this.running = null;
          this.runSoon(delay);
        },
        () => {
          this.running = null;
          this.runSoon(RETRY_MS);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  /** One run; resolves with the delay until the next. */
  private async run(): Promise<number> {
    const service = this.service();
    let delay = this.everyMs;
    if (service.config.tls?.acme) {
      const { renewCertificates } = await import('../app/certs.js');
      try {
        const result = await renewCertificates(service);
        for (const issued of result.issued)
          this.log.info({ host: issued.host, notAfter: issued.notAfter }, 'Certificate issued and installed');
      } catch (error) {
        // A held ACME lock (a `certs renew` running), a CA that never answered.
        this.log.warn({ error: messageOf(error).split('\n')[0] }, 'Certificate renewal did not run');
        delay = RETRY_MS;
      }
    }
    const rows = await this.refresh();
    return Math.min(delay, nextRunDelay(rows, new Date(), this.everyMs));
  }
}
