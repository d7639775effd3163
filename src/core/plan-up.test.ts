import { describe, expect, it } from 'vitest';
import { container, indexOf, kinds, state } from '../../test/support/plan-fixtures.js';
import { type Observed, planUp } from './plan.js';
import { initialState } from './state.js';

describe('planUp', () => {
  const none: Observed = { blue: null, green: null };

  it('brings up a fresh stack: run the linked colour, record it, write config, start HAProxy', () => {
    const steps = planUp({
      state: initialState('web'),
      fresh: true,
      observed: none,
      haproxyRunning: false,
      configuredImage: 'app:1',
    });
    expect(steps).toEqual([
      { kind: 'run-container', colour: 'blue', image: 'app:1' },
      { kind: 'wait-healthy', colour: 'blue' },
      { kind: 'record-state', linked: 'blue', image: 'app:1', switched: false },
      { kind: 'apply-config', linked: 'blue' },
      { kind: 'start-haproxy' },
    ]);
  });

  it('re-creates a missing linked container from the recorded image, not the configured one', () => {
    const steps = planUp({
      state: state('green'),
      fresh: false,
      observed: { blue: container('blue'), green: null },
      haproxyRunning: true,
      configuredImage: 'app:9',
    });
    expect(steps).toEqual([
      { kind: 'run-container', colour: 'green', image: 'app:0' },
      { kind: 'wait-healthy', colour: 'green' },
      { kind: 'record-state', linked: 'green', image: 'app:0', switched: false },
      { kind: 'apply-config', linked: 'green' },
    ]);
  });

  it('starts a stopped linked container without re-creating or re-recording it', () => {
    const observed = { blue: container('blue', { running: false, exitCode: 0, address: null }), green: null };
    const steps = planUp({
      state: state('blue'),
      fresh: false,
      observed,
      haproxyRunning: true,
      configuredImage: 'app:1',
    });
    expect(steps).toEqual([
      { kind: 'start-container', colour: 'blue' },
      { kind: 'wait-healthy', colour: 'blue' },
      { kind: 'apply-config', linked: 'blue' },
    ]);
  });

  it('waits for a linked container whose healthcheck is still starting', () => {
    const steps = planUp({
      state: state('blue'),
      fresh: false,
      observed: { blue: container('blue', { health: 'starting' }), green: null },
      haproxyRunning: true,
      configuredImage: 'app:1',
    });
    expect(steps).toEqual([
      { kind: 'wait-healthy', colour: 'blue' },
      { kind: 'apply-config', linked: 'blue' },
    ]);
  });

  it('is idempotent: a second run on a converged stack only re-applies the config', () => {
    const steps = planUp({
      state: state('blue'),
      fresh: false,
      observed: { blue: container('blue'), green: container('green') },
      haproxyRunning: true,
      configuredImage: 'app:1',
    });
    expect(steps).toEqual([{ kind: 'apply-config', linked: 'blue' }]);
  });

  it('resolves an interrupted deploy before anything else', () => {
    const pending = {
      colour: 'green' as const,
      image: 'app:2',
      startedAt: '2025-01-01T00:00:00.000Z',
      phase: 'deploying',
    };
    const steps = planUp({
      state: state('blue', { pending }),
      fresh: false,
      observed: { blue: container('blue'), green: container('green') },
      haproxyRunning: true,
      configuredImage: 'app:1',
    });
    expect(steps[0]).toEqual({ kind: 'resolve-pending' });
    expect(kinds(steps)).toEqual(['resolve-pending', 'apply-config']);
  });

  it.each([
    [false, true],
    [true, false],
  ])('with HAProxy running=%s plans start-haproxy=%s, after apply-config', (running, expected) => {
    const steps = planUp({
      state: state('blue'),
      fresh: false,
      observed: { blue: container('blue'), green: null },
      haproxyRunning: running,
      configuredImage: 'app:1',
    });
    expect(kinds(steps).includes('start-haproxy')).toBe(expected);
    if (expected) expect(indexOf(steps, 'start-haproxy')).toBeGreaterThan(indexOf(steps, 'apply-config'));
  });
});
