import { describe, expect, it } from 'vitest';
import { container, kinds, state } from '../../test/support/plan-fixtures.js';
import { NotWarmError } from './errors.js';
import { planDeploy, planRollback } from './plan.js';

const UP = (colour: 'blue' | 'green') => ({
  colour,
  status: 'UP',
  weight: colour === 'blue' ? 100 : 0,
  address: '127.0.0.1:1',
  sessions: 0,
  checkStatus: 'L7OK',
});

describe('hooks and keepWarm in the plans', () => {
  it('runs pre-deploy before anything is marked, pre-switch after HAProxy sees the colour UP, post-switch last', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
      hooks: ['pre-deploy', 'pre-switch', 'post-switch', 'on-failure'],
    });
    expect(kinds(steps)).toEqual([
      'check-config',
      'hook',
      'mark-pending',
      'run-container',
      'wait-healthy',
      'apply-config',
      'wait-haproxy-up',
      'hook',
      'check-config',
      'switch',
      'record-state',
      'apply-config',
      'drain',
      'hook',
    ]);
    expect(steps.filter((s) => s.kind === 'hook')).toEqual([
      { kind: 'hook', phase: 'pre-deploy', colour: 'green', image: 'app:2' },
      { kind: 'hook', phase: 'pre-switch', colour: 'green', image: 'app:2' },
      { kind: 'hook', phase: 'post-switch', colour: 'green', image: 'app:2' },
    ]);
  });

  it('has no hook steps without hooks, and stops the old colour after its drain with keepWarm: false', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
      keepWarm: false,
    });
    expect(kinds(steps)).not.toContain('hook');
    expect(kinds(steps).slice(-2)).toEqual(['drain', 'stop-container']);
    expect(steps.at(-1)).toEqual({ kind: 'stop-container', colour: 'blue' });
  });

  it('rolls back to a stopped colour with keepWarm: false by starting and gating it first', () => {
    const steps = planRollback({
      state: state('green'),
      observed: { blue: container('blue', { running: false }), green: container('green') },
      servers: [UP('green')],
      keepWarm: false,
      hooks: ['post-rollback'],
    });
    expect(kinds(steps)).toEqual([
      'start-container',
      'wait-healthy',
      'apply-config',
      'wait-haproxy-up',
      'check-config',
      'switch',
      'record-state',
      'apply-config',
      'drain',
      'stop-container',
      'hook',
    ]);
    expect(steps.at(-1)).toMatchObject({ kind: 'hook', phase: 'post-rollback', colour: 'blue' });
  });

  it('still refuses a rollback to a stopped colour when it is meant to be kept warm', () => {
    expect(() =>
      planRollback({
        state: state('green'),
        observed: { blue: container('blue', { running: false }), green: container('green') },
        servers: [UP('green')],
      }),
    ).toThrow(NotWarmError);
  });

  it('puts the canary after the pre-switch hook and the check of the switched config, before the switch', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: null },
      image: 'app:2',
      haproxyRunning: true,
      hooks: ['pre-switch'],
      canary: true,
    });
    const order = kinds(steps);
    expect(order.indexOf('hook')).toBeLessThan(order.indexOf('canary'));
    expect(order.lastIndexOf('check-config')).toBeLessThan(order.indexOf('canary'));
    expect(order.indexOf('canary')).toBe(order.indexOf('switch') - 1);
    expect(steps).toContainEqual({ kind: 'canary', from: 'blue', to: 'green' });
    expect(
      kinds(
        planDeploy({
          state: state('blue'),
          observed: { blue: container('blue'), green: null },
          image: 'a:2',
          haproxyRunning: true,
        }),
      ),
    ).not.toContain('canary');
  });
});
