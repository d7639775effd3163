import { describe, expect, it } from 'vitest';
import { container, indexOf, kinds, lastIndexOf, state } from '../../test/support/plan-fixtures.js';
import { describeStep, planDeploy, type Step } from './plan.js';

describe('planDeploy', () => {
  it.each([
    ['blue', 'green'],
    ['green', 'blue'],
  ] as const)('with %s linked deploys to the idle colour %s', (linked, idle) => {
    const steps = planDeploy({
      state: state(linked),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
    });
    expect(steps[0]).toEqual({ kind: 'check-config', linked: linked });
    expect(steps[1]).toEqual({ kind: 'mark-pending', colour: idle, image: 'app:2' });
    expect(steps).toContainEqual({ kind: 'run-container', colour: idle, image: 'app:2' });
    expect(steps).toContainEqual({ kind: 'wait-healthy', colour: idle });
    expect(steps).toContainEqual({ kind: 'wait-haproxy-up', colour: idle });
    expect(steps).toContainEqual({ kind: 'switch', from: linked, to: idle });
    expect(steps).toContainEqual({ kind: 'record-state', linked: idle, image: 'app:2', switched: true });
    expect(steps.at(-1)).toEqual({ kind: 'drain', colour: linked });
  });

  it('removes the idle container only when one exists', () => {
    const withIdle = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: container('green', { running: false }) },
      image: 'app:2',
      haproxyRunning: true,
    });
    expect(withIdle.filter((s) => s.kind === 'remove-container')).toEqual([
      { kind: 'remove-container', colour: 'green' },
    ]);
    expect(indexOf(withIdle, 'remove-container')).toBeLessThan(indexOf(withIdle, 'run-container'));

    const withoutIdle = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
    });
    expect(kinds(withoutIdle)).not.toContain('remove-container');
  });

  it('with an engine that renames, retires the idle container before the create and removes it last', () => {
    const plan = (green: ReturnType<typeof container> | null, extra = {}) =>
      planDeploy({
        state: state('blue'),
        observed: { blue: container('blue'), green },
        image: 'app:2',
        haproxyRunning: true,
        retire: true,
        hooks: ['post-switch'],
        ...extra,
      });
    const steps = plan(container('green'));
    expect(kinds(steps)).not.toContain('remove-container');
    expect(indexOf(steps, 'retire-container')).toBe(indexOf(steps, 'run-container') - 1);
    expect(steps.filter((s) => s.kind === 'retire-container')).toEqual([{ kind: 'retire-container', colour: 'green' }]);
    // After the switch, the drain and even the post-switch hooks: nothing waits for it.
    expect(steps.at(-1)).toEqual({ kind: 'remove-retired', colour: 'green' });
    expect(indexOf(steps, 'remove-retired')).toBeGreaterThan(indexOf(steps, 'hook'));
    expect(kinds(plan(null))).not.toContain('retire-container');
    expect(kinds(plan(null))).not.toContain('remove-retired');
    // An engine that updates in place replaces nothing.
    expect(kinds(plan(container('green'), { inPlace: true }))).not.toContain('retire-container');
  });

  it('never removes or re-creates the linked colour', () => {
    const steps = planDeploy({
      state: state('green'),
      observed: { blue: container('blue'), green: container('green') },
      image: 'app:2',
      haproxyRunning: true,
    });
    for (const step of steps) {
      if (step.kind === 'remove-container' || step.kind === 'run-container') expect(step.colour).toBe('blue');
    }
  });

  it('orders the gates: config check, health, config, check, switch, record, drain last', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: container('green') },
      image: 'app:2',
      haproxyRunning: true,
    });
    expect(kinds(steps)).toEqual([
      'check-config',
      'mark-pending',
      'drain',
      'remove-container',
      'run-container',
      'wait-healthy',
      'apply-config',
      'wait-haproxy-up',
      'check-config',
      'switch',
      'record-state',
      'apply-config',
      'drain',
    ]);
    expect(indexOf(steps, 'run-container')).toBeLessThan(indexOf(steps, 'wait-healthy'));
    expect(indexOf(steps, 'wait-healthy')).toBeLessThan(indexOf(steps, 'apply-config'));
    expect(indexOf(steps, 'wait-haproxy-up')).toBeLessThan(indexOf(steps, 'switch'));
    // The current config is checked before any container is touched or anything is recorded.
    expect(indexOf(steps, 'check-config')).toBeLessThan(indexOf(steps, 'mark-pending'));
    expect(indexOf(steps, 'check-config')).toBeLessThan(indexOf(steps, 'remove-container'));
    expect(lastIndexOf(steps, 'check-config')).toBeGreaterThan(lastIndexOf(steps, 'wait-haproxy-up'));
    expect(lastIndexOf(steps, 'check-config')).toBe(indexOf(steps, 'switch') - 1);
    expect(indexOf(steps, 'switch')).toBeLessThan(indexOf(steps, 'record-state'));
    expect(lastIndexOf(steps, 'apply-config')).toBeGreaterThan(indexOf(steps, 'record-state'));
    expect(lastIndexOf(steps, 'drain')).toBe(steps.length - 1);
    // The old idle container's long connections get their drain before it is replaced.
    expect(steps[indexOf(steps, 'drain')]).toEqual({ kind: 'drain', colour: 'green', close: true });
    expect(indexOf(steps, 'drain')).toBe(indexOf(steps, 'remove-container') - 1);
  });

  it('stages the new colour with the old one still linked, then persists the new one', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
    });
    const applies = steps.filter((s) => s.kind === 'apply-config');
    expect(applies).toEqual([
      // Green's server is pointed at the new container and checked afresh before the switch.
      { kind: 'apply-config', linked: 'blue', fresh: 'green' },
      // After the switch: written; the runtime API already set the weights it writes down.
      { kind: 'apply-config', linked: 'green' },
    ]);
    expect(steps.filter((s) => s.kind === 'check-config')).toEqual([
      { kind: 'check-config', linked: 'blue' },
      { kind: 'check-config', linked: 'green' },
    ]);
  });

  it('zeroes HAProxy’s counters when staging for a canary, a slow start or a watch window', () => {
    const staged = (options: { canary?: boolean; watchMs?: number; slowStartMs?: number }) =>
      planDeploy({
        state: state('blue'),
        observed: { blue: container('blue'), green: container('green') },
        image: 'app:2',
        haproxyRunning: true,
        ...options,
      }).find((s) => s.kind === 'apply-config');
    const counted = { kind: 'apply-config', linked: 'blue', fresh: 'green', freshCounters: true };
    expect(staged({ canary: true })).toEqual(counted);
    expect(staged({ watchMs: 30_000 })).toEqual(counted);
    expect(staged({ slowStartMs: 10_000 })).toEqual(counted);
    expect(staged({})).toEqual({ kind: 'apply-config', linked: 'blue', fresh: 'green' });
  });
});

describe('describeStep', () => {
  const every: Array<[Step, RegExp]> = [
    [{ kind: 'mark-pending', colour: 'green', image: 'app:2' }, /green.*app:2/],
    [{ kind: 'remove-container', colour: 'green' }, /remove.*green/],
    [{ kind: 'retire-container', colour: 'green' }, /rename.*green/],
    [{ kind: 'remove-retired', colour: 'green' }, /remove.*green/],
    [{ kind: 'run-container', colour: 'blue', image: 'app:3' }, /blue.*app:3/],
    [{ kind: 'start-container', colour: 'blue' }, /start.*blue/],
    [{ kind: 'wait-healthy', colour: 'green' }, /green.*healthy/],
    [{ kind: 'apply-config', linked: 'green' }, /green linked/],
    [{ kind: 'apply-config', linked: 'blue', fresh: 'green' }, /point green's server at its new container/],
    [{ kind: 'check-config', linked: 'blue' }, /validate.*blue linked/],
    [{ kind: 'start-haproxy' }, /start HAProxy/],
    [{ kind: 'wait-haproxy-up', colour: 'green' }, /green UP/],
    [{ kind: 'switch', from: 'blue', to: 'green' }, /from blue to green/],
    [{ kind: 'record-state', linked: 'green', image: null, switched: true }, /record green/],
    [{ kind: 'resolve-pending' }, /interrupted deploy/],
    [{ kind: 'drain', colour: 'blue' }, /drain blue/],
    [{ kind: 'drain', colour: 'green', close: true }, /green.*close/],
  ];

  it.each(every)('describes %o', (step, pattern) => {
    expect(describeStep(step)).toMatch(pattern);
  });

  it('covers all 15 step kinds with distinct one-line descriptions', () => {
    const texts = every.map(([step]) => describeStep(step));
    expect(new Set(every.map(([s]) => s.kind)).size).toBe(15);
    expect(new Set(texts).size).toBe(every.length);
    for (const text of texts) expect(text).not.toContain('\n');
  });
});
