import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('starts at zero with both colours unlinked and no reload yet', () => {
    const text = new Metrics('web').render();
    expect(text).toContain('linkswitch_deploys_total{service="web"} 0');
    expect(text).toContain('linkswitch_rollbacks_total{service="web",trigger="failover"} 0');
    expect(text).toContain('linkswitch_linked{service="web",colour="blue"} 0');
    expect(text).not.toContain('linkswitch_last_reload_success');
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  it('counts deploys, rollbacks by trigger, failures by command and code, and the linked colour', () => {
    const m = new Metrics('web');
    m.deployed();
    m.rolledBack('failover');
    m.failed('deploy', 'COLOUR_UNHEALTHY');
    m.failed('deploy', 'COLOUR_UNHEALTHY');
    m.linkedFailed('die');
    m.setLinked('green');
    const text = m.render();
    expect(text).toContain('linkswitch_deploys_total{service="web"} 1');
    expect(text).toContain('linkswitch_rollbacks_total{service="web",trigger="failover"} 1');
    expect(text).toContain('linkswitch_failures_total{service="web",command="deploy",code="COLOUR_UNHEALTHY"} 2');
    expect(text).toContain('linkswitch_linked_failures_total{service="web",event="die"} 1');
    expect(text).toContain('linkswitch_linked{service="web",colour="green"} 1');
  });

  it('counts canaries that passed, canary aborts and watch-window rollbacks by reason', () => {
    const m = new Metrics('web');
    m.canaryPassed();
    m.canaryAborted('error rate');
    m.canaryAborted('error rate');
    m.canaryAborted('manual');
    m.watchRolledBack('response time');
    const text = m.render();
    expect(text).toContain('linkswitch_canaries_total{service="web"} 1');
    expect(text).toContain('linkswitch_canary_aborts_total{service="web",reason="error rate"} 2');
    expect(text).toContain('linkswitch_canary_aborts_total{service="web",reason="manual"} 1');
    expect(text).toContain('linkswitch_watch_rollbacks_total{service="web",reason="response time"} 1');
  });

  it('keeps a cumulative histogram of switch durations in seconds', () => {
    const m = new Metrics('web');
    m.switched(0.8);
    m.switched(20);
    const text = m.render();
    expect(text).toContain('linkswitch_switch_duration_seconds_bucket{service="web",le="0.001"} 1');
    expect(text).toContain('linkswitch_switch_duration_seconds_bucket{service="web",le="0.025"} 2');
    expect(text).toContain('linkswitch_switch_duration_seconds_bucket{service="web",le="+Inf"} 2');
    expect(text).toContain('linkswitch_switch_duration_seconds_count{service="web"} 2');
  });

  it('reports the last reload result and when it happened', () => {
    const m = new Metrics('web');
    m.reloaded('applied', new Date(10_000));
    m.reloaded('rejected', new Date(20_000));
    const text = m.render();
    expect(text).toContain('linkswitch_reloads_total{service="web",result="applied"} 1');
    expect(text).toContain('linkswitch_reloads_total{service="web",result="rejected"} 1');
    expect(text).toContain('linkswitch_last_reload_success{service="web"} 0');
    expect(text).toContain('linkswitch_last_reload_timestamp_seconds{service="web"} 20');
  });
});

describe('certificate gauges', () => {
  it('gives seconds to expiry per ACME host, and which hosts fail to renew', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const row = {
      source: 'acme' as const,
      file: null,
      issuer: 'CN=R11',
      daysLeft: 1,
      lastIssuedAt: null,
      nextAttempt: null,
      renewalWindow: null,
    };
    const text = Metrics.render(
      [new Metrics('web')],
      [
        { ...row, host: 'a.example.com', notAfter: '2026-12-08T00:00:00.000Z', lastError: null },
        { ...row, host: 'b.example.com', notAfter: null, lastError: 'rate limited' },
      ],
      now,
    );
    expect(text).toContain('linkswitch_certificate_expiry_seconds{host="a.example.com",source="acme"} 86400');
    expect(text).not.toContain('linkswitch_certificate_expiry_seconds{host="b.example.com"');
    expect(text).toContain('linkswitch_certificate_renewal_failing{host="b.example.com"} 1');
    expect(text).toContain('linkswitch_certificate_renewal_failing{host="a.example.com"} 0');
  });
});
