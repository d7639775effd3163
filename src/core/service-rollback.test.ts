import { describe, expect, it } from 'vitest';
import { container, deployedState, fakes, T0 } from '../../test/support/core-fakes.js';
import { NotWarmError } from './errors.js';
import { prevalidateRollback, rollback } from './service.js';
import type { State } from './state.js';

describe('rollback', () => {
  it('flips the weights once, records generation + 1, persists the config, creates no container', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const result = await rollback(f.svc);
    expect(f.haproxy.weightCalls).toEqual([{ green: 100, blue: 0 }]);
    const expected: State = {
      ...deployedState(),
      linked: 'green',
      generation: 4,
      lastSwitchAt: new Date(T0).toISOString(),
    };
    expect(result.state).toEqual(expected);
    expect(f.store.state).toEqual(expected);
    expect(f.store.writes).toHaveLength(1);
    expect(JSON.parse(f.configFile.text!)).toMatchObject({
      linked: 'green',
      servers: [
        { name: 'blue', weight: 0 },
        { name: 'green', weight: 100 },
      ],
    });
    // check-config and apply-config render the same text: haproxy -c runs once per run.
    expect(f.haproxy.calls).toEqual(['validate', 'reload']);
    expect(f.docker.calls).toEqual([]);
    expect(result.report?.stepsRun).toEqual(['check-config', 'switch', 'record-state', 'apply-config', 'drain']);
    expect(result.report?.switchMs).toBeGreaterThanOrEqual(0);
    expect(f.lockLog).toEqual(['acquire rollback', 'release']);
  });

  it('dry-run plans without switching or writing', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const result = await rollback(f.svc, { dryRun: true });
    expect(result.plan.map((s) => s.kind)).toContain('switch');
    expect(result.report).toBeNull();
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.store.writes).toEqual([]);
  });

  it('refuses with NotWarmError when the other colour is stopped, and releases the lock', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy', false),
    });
    await expect(rollback(f.svc)).rejects.toBeInstanceOf(NotWarmError);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.store.writes).toEqual([]);
    expect(f.lockLog).toEqual(['acquire rollback', 'release']);
  });
});

describe('prevalidateRollback', () => {
  it('validates the config a rollback would write, changing nothing else', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    await prevalidateRollback(f.svc);
    expect(f.haproxy.validated.map((t) => JSON.parse(t).linked)).toEqual(['green']);
    expect(f.haproxy.calls).toEqual(['validate']);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.store.writes).toEqual([]);
    expect(f.configFile.writes).toEqual([]);
  });

  it('does nothing for a stack that was never brought up', async () => {
    const f = fakes(null, { blue: null, green: null });
    await prevalidateRollback(f.svc);
    expect(f.haproxy.calls).toEqual([]);
  });
});
