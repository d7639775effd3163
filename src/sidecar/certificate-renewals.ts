import type { Logger } from 'pino';
import type { CertificateRow } from '../app/certs.js';
import { messageOf } from '../core/errors.js';
import type { Service } from '../core/service.js';

// The sidecar renews ACME certificates by itself: a first run once it serves (what `up` would
// issue), then one every hour. Each run orders only what is due (two thirds of the lifetime)
// and waits out a failed host's back-off (src/core/acme-plan.ts); the ACME lock keeps a `certs
// renew` from a person or a timer from ordering at the same time (that run is then skipped).
// The latest rows feed the expiry gauges of /metrics.

export const RENEW_EVERY_MS = 60 * 60_000;

export class CertificateRenewals {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private rows: CertificateRow[] = [];

  constructor(
    private readonly service: () => Service,
    private readonly log: Logger,
    private readonly everyMs = RENEW_EVERY_MS,
  ) {}

  start(): void {
    this.runSoon(0);
  }

  /** Expiry per host, for the gauges (empty until the first run). */
  latest(): CertificateRow[] {
    return this.rows;
  }

  stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.running ?? Promise.resolve();
  }

  private runSoon(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.timer !== null) this.runSoon(this.everyMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const service = this.service();
    if (!service.config.tls?.acme) return;
    const { renewCertificates, certificateRows } = await import('../app/certs.js');
    try {
      const result = await renewCertificates(service);
      for (const issued of result.issued)
        this.log.info({ host: issued.host, notAfter: issued.notAfter }, 'Certificate issued and installed');
    } catch (error) {
      // A held ACME lock (a `certs renew` running), a CA that never answered: the next hour retries.
      this.log.warn({ error: messageOf(error).split('\n')[0] }, 'Certificate renewal did not run');
    }
    this.rows = await certificateRows(service.config, new Date()).catch(() => this.rows);
  }
}
