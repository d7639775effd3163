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

  setLinked(colour: Colour | null): void {
    this.linked = colour;
  }

  render(): string {
    const svc = `service="${this.service}"`;
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
    };
    metric('linkswitch_deploys_total', 'counter', 'Deploys that switched traffic, run by this sidecar.', [
      [svc, this.deploys],
    ]);
    metric(
      'linkswitch_rollbacks_total',
      'counter',
      'Rollbacks run by this sidecar, by trigger (api or failover).',
      ['api', 'failover'].map((t) => [`${svc},trigger="${t}"`, this.rollbacks.get(t) ?? 0]),
    );
    metric(
      'linkswitch_failures_total',
      'counter',
      'Commands that failed, by command and error code.',
      [...this.failures].map(([key, n]) => {
        const [command, code] = key.split('\u0000');
        return [`${svc},command="${command}",code="${code}"`, n];
      }),
    );
    metric(
      'linkswitch_linked_failures_total',
      'counter',
      "Times the linked colour's container died or turned unhealthy.",
      [...this.linkedFailures].map(([action, n]) => [`${svc},event="${action}"`, n]),
    );
    out.push(
      '# HELP linkswitch_switch_duration_seconds Time the runtime-API weight flip took.',
      '# TYPE linkswitch_switch_duration_seconds histogram',
    );
    for (const [i, bound] of SWITCH_BUCKETS_S.entries()) {
      out.push(`linkswitch_switch_duration_seconds_bucket{${svc},le="${bound}"} ${this.switchBuckets[i]}`);
    }
    out.push(
      `linkswitch_switch_duration_seconds_bucket{${svc},le="+Inf"} ${this.switchCount}`,
      `linkswitch_switch_duration_seconds_sum{${svc}} ${this.switchSum}`,
      `linkswitch_switch_duration_seconds_count{${svc}} ${this.switchCount}`,
    );
    metric(
      'linkswitch_linked',
      'gauge',
      'The linked colour (1) and the idle one (0).',
      COLOURS.map((c) => [`${svc},colour="${c}"`, this.linked === c ? 1 : 0]),
    );
    metric(
      'linkswitch_reloads_total',
      'counter',
      'Config changes: applied (valid, written, HAProxy reloaded), rejected (template or haproxy -c), failed (reload).',
      (['applied', 'rejected', 'failed'] as const).map((r) => [`${svc},result="${r}"`, this.reloads.get(r) ?? 0]),
    );
    if (this.lastReload) {
      metric(
        'linkswitch_last_reload_success',
        'gauge',
        'Whether the last config change was applied (1) or refused/failed (0).',
        [[svc, this.lastReload.result === 'applied' ? 1 : 0]],
      );
      metric('linkswitch_last_reload_timestamp_seconds', 'gauge', 'When the last config change was attempted.', [
        [svc, Math.round(this.lastReload.at.getTime() / 1000)],
      ]);
    }
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the sidecar process.', [
      ['', process.memoryUsage.rss()],
    ]);
    return `${out.join('\n')}\n`;
  }
}
