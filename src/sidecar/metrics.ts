import type { CertificateRow } from '../app/certificate-rows.js';
import type { Colour } from '../core/colour.js';
import { COLOURS } from '../core/colour.js';

// The sidecar's counters in Prometheus' text format (version 0.0.4), written by hand: a dozen
// series do not justify a client library in a process that should idle in a few tens of MB.

const SWITCH_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export type ReloadResult = 'applied' | 'rejected' | 'failed';

export class Metrics {
  private deploys = 0;
  private readonly rollbacks = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly reloads = new Map<ReloadResult, number>();
  private readonly linkedFailures = new Map<string, number>();
  private readonly switchBuckets = SWITCH_BUCKETS_S.map(() => 0);
  private switchCount = 0;
  private switchSum = 0;
  private linked: Colour | null = null;
  private lastReload: { result: ReloadResult; at: Date } | null = null;
  private canaries = 0;
  private readonly canaryAborts = new Map<string, number>();
  private readonly watchRollbacks = new Map<string, number>();

  constructor(private readonly service: string) {}

  deployed(): void {
    this.deploys++;
  }

  rolledBack(trigger: 'api' | 'failover'): void {
    this.rollbacks.set(trigger, (this.rollbacks.get(trigger) ?? 0) + 1);
  }

  failed(command: string, code: string): void {
    const key = `${command}\u0000${code}`;
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }

  linkedFailed(action: string): void {
    this.linkedFailures.set(action, (this.linkedFailures.get(action) ?? 0) + 1);
  }

  switched(ms: number): void {
    const seconds = ms / 1000;
    this.switchCount++;
    this.switchSum += seconds;
    SWITCH_BUCKETS_S.forEach((bound, i) => {
      if (seconds <= bound) this.switchBuckets[i]!++;
    });
  }

  reloaded(result: ReloadResult, at = new Date()): void {
    this.reloads.set(result, (this.reloads.get(result) ?? 0) + 1);
    this.lastReload = { result, at };
  }

  /** A canary deploy that walked every step (or was promoted) to the full switch. */
  canaryPassed(): void {
    this.canaries++;
  }

  canaryAborted(reason: string): void {
    this.canaryAborts.set(reason, (this.canaryAborts.get(reason) ?? 0) + 1);
  }

  watchRolledBack(reason: string): void {
    this.watchRollbacks.set(reason, (this.watchRollbacks.get(reason) ?? 0) + 1);
  }

  setLinked(colour: Colour | null): void {
    this.linked = colour;
  }

  render(): string {
    return Metrics.render([this]);
  }

  /** One exposition for every service of the stack: each family once, a series per service. */
  static render(all: Metrics[], certificates: readonly CertificateRow[] = [], now = new Date()): string {
    const out: string[] = [];
    const metric = (
      name: string,
      type: string,
      help: string,
      samples: (m: Metrics, svc: string) => Array<[string, number]>,
    ) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const m of all)
        for (const [labels, value] of samples(m, `service="${m.service}"`))
          out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
    };
    metric('linkswitch_deploys_total', 'counter', 'Deploys that switched traffic, run by this sidecar.', (m, svc) => [
      [svc, m.deploys],
    ]);
    metric(
      'linkswitch_rollbacks_total',
      'counter',
      'Rollbacks run by this sidecar, by trigger (api or failover).',
      (m, svc) => ['api', 'failover'].map((t) => [`${svc},trigger="${t}"`, m.rollbacks.get(t) ?? 0]),
    );
    metric('linkswitch_failures_total', 'counter', 'Commands that failed, by command and error code.', (m, svc) =>
      [...m.failures].map(([key, n]) => {
        const [command, code] = key.split('\u0000');
        return [`${svc},command="${command}",code="${code}"`, n];
      }),
    );
    metric('linkswitch_canaries_total', 'counter', 'Canary deploys that reached the full switch.', (m, svc) => [
      [svc, m.canaries],
    ]);
    metric('linkswitch_canary_aborts_total', 'counter', 'Canary deploys stopped, by reason.', (m, svc) =>
      [...m.canaryAborts].map(([reason, n]) => [`${svc},reason="${reason}"`, n]),
    );
    metric(
      'linkswitch_watch_rollbacks_total',
      'counter',
      'Automatic rollbacks in the watch window after a switch, by the figure that regressed.',
      (m, svc) => [...m.watchRollbacks].map(([reason, n]) => [`${svc},reason="${reason}"`, n]),
    );
    metric(
      'linkswitch_linked_failures_total',
      'counter',
      "Times the linked colour's container died or turned unhealthy.",
      (m, svc) => [...m.linkedFailures].map(([action, n]) => [`${svc},event="${action}"`, n]),
    );
    metric('linkswitch_switch_duration_seconds', 'histogram', 'Time the runtime-API weight flip took.', () => []);
    for (const m of all) {
      const svc = `service="${m.service}"`;
      for (const [i, bound] of SWITCH_BUCKETS_S.entries())
        out.push(`linkswitch_switch_duration_seconds_bucket{${svc},le="${bound}"} ${m.switchBuckets[i]}`);
      out.push(
        `linkswitch_switch_duration_seconds_bucket{${svc},le="+Inf"} ${m.switchCount}`,
        `linkswitch_switch_duration_seconds_sum{${svc}} ${m.switchSum}`,
        `linkswitch_switch_duration_seconds_count{${svc}} ${m.switchCount}`,
      );
    }
    metric('linkswitch_linked', 'gauge', 'The linked colour (1) and the idle one (0).', (m, svc) =>
      COLOURS.map((c) => [`${svc},colour="${c}"`, m.linked === c ? 1 : 0]),
    );
    metric(
      'linkswitch_reloads_total',
      'counter',
      'Config changes: applied (valid, written, HAProxy reloaded), rejected (template or haproxy -c), failed (reload).',
      (m, svc) =>
        (['applied', 'rejected', 'failed'] as const).map((r) => [`${svc},result="${r}"`, m.reloads.get(r) ?? 0]),
    );
    if (all.some((m) => m.lastReload)) {
      metric(
        'linkswitch_last_reload_success',
        'gauge',
        'Whether the last config change was applied (1) or refused/failed (0).',
        (m, svc) => (m.lastReload ? [[svc, m.lastReload.result === 'applied' ? 1 : 0]] : []),
      );
      metric(
        'linkswitch_last_reload_timestamp_seconds',
        'gauge',
        'When the last config change was attempted.',
        (m, svc) => (m.lastReload ? [[svc, Math.round(m.lastReload.at.getTime() / 1000)]] : []),
      );
    }
    if (certificates.length > 0) {
      const held = certificates.filter((c) => c.notAfter !== null);
      const ordered = certificates.filter((c) => c.source === 'acme');
      out.push(
        '# HELP linkswitch_certificate_expiry_seconds Seconds until the certificate of a host expires (source: acme or file).',
        '# TYPE linkswitch_certificate_expiry_seconds gauge',
        ...held.map(
          (c) =>
            `linkswitch_certificate_expiry_seconds{host="${labelValue(c.host)}",source="${c.source}"} ${Math.round((Date.parse(c.notAfter as string) - now.getTime()) / 1000)}`,
        ),
        '# HELP linkswitch_certificate_renewal_failing Whether the last ACME order for a host failed (1) or not (0).',
        '# TYPE linkswitch_certificate_renewal_failing gauge',
        ...ordered.map(
          (c) => `linkswitch_certificate_renewal_failing{host="${labelValue(c.host)}"} ${c.lastError ? 1 : 0}`,
        ),
      );
    }
    out.push(
      '# HELP process_resident_memory_bytes Resident memory of the sidecar process.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    );
    return `${out.join('\n')}\n`;
  }
}

/** A Prometheus label value: a host from a certificate file's subject is not a checked name. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
