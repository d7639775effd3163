import { describe, expect, it } from 'vitest';
import { container, kinds, record, server, state, task } from '../../test/support/plan-fixtures.js';
import { NotWarmError } from './errors.js';
import { type Observed, planRollback } from './plan.js';
import type { ServerView } from './ports.js';
import type { State } from './state.js';

describe('planRollback', () => {
  const warm = (): Observed => ({ blue: container('blue'), green: container('green') });

  it('plans a runtime flip to the warm other colour without creating containers', () => {
    const steps = planRollback({ state: state('blue'), observed: warm(), servers: [server('blue'), server('green')] });
    expect(steps).toEqual([
      { kind: 'check-config', linked: 'green' },
      { kind: 'switch', from: 'blue', to: 'green' },
      { kind: 'record-state', linked: 'green', image: null, switched: true },
      { kind: 'apply-config', linked: 'green' },
      { kind: 'drain', colour: 'blue' },
    ]);
    for (const kind of [
      'run-container',
      'start-container',
      'remove-container',
      'wait-healthy',
      'mark-pending',
    ] as const)
      expect(kinds(steps)).not.toContain(kind);
  });

  it('rolls back from green to blue symmetrically', () => {
    const steps = planRollback({ state: state('green'), observed: warm(), servers: [server('blue'), server('green')] });
    expect(steps).toContainEqual({ kind: 'switch', from: 'green', to: 'blue' });
  });

  it('accepts a container without a Docker healthcheck', () => {
    const observed = { blue: container('blue'), green: container('green', { health: 'none' }) };
    expect(() =>
      planRollback({ state: state('blue'), observed, servers: [server('blue'), server('green')] }),
    ).not.toThrow();
  });

  const refusals: Array<[string, Partial<State>, Observed, ServerView[], RegExp]> = [
    [
      'container missing',
      {},
      { blue: container('blue'), green: null },
      [server('blue'), server('green')],
      /green has no container/,
    ],
    [
      'colour never recorded',
      { colours: { blue: record('app:1', 'blue'), green: null } },
      { blue: container('blue'), green: container('green') },
      [server('blue'), server('green')],
      /green has no container/,
    ],
    [
      'container stopped',
      {},
      { blue: container('blue'), green: container('green', { running: false, exitCode: 137, address: null }) },
      [server('blue'), server('green')],
      /not running/,
    ],
    [
      'container unhealthy',
      {},
      { blue: container('blue'), green: container('green', { health: 'unhealthy' }) },
      [server('blue'), server('green')],
      /unhealthy/,
    ],
    [
      'container still starting',
      {},
      { blue: container('blue'), green: container('green', { health: 'starting' }) },
      [server('blue'), server('green')],
      /starting/,
    ],
    [
      'HAProxy sees it DOWN',
      {},
      { blue: container('blue'), green: container('green') },
      [server('blue'), server('green', { status: 'DOWN', checkStatus: 'L4CON' })],
      /HAProxy sees green as DOWN/,
    ],
    [
      'HAProxy has it in MAINT',
      {},
      { blue: container('blue'), green: container('green') },
      [server('blue'), server('green', { status: 'MAINT' })],
      /MAINT/,
    ],
    [
      'HAProxy has no server for it',
      {},
      { blue: container('blue'), green: container('green') },
      [server('blue')],
      /HAProxy has no server for green/,
    ],
    [
      'HAProxy still resolves a Swarm task that is gone',
      {},
      { blue: container('blue'), green: container('green', { tasks: [task('10.0.1.7')] }) },
      [server('blue'), server('green', { address: '10.0.1.5:8080 10.0.1.7:8080', members: 2 })],
      /HAProxy resolves 10\.0\.1\.5 10\.0\.1\.7 while the tasks are 10\.0\.1\.7 for green/,
    ],
  ];

  it.each(refusals)('refuses with NotWarmError when %s', (_label, over, observed, servers, reason) => {
    const run = () => planRollback({ state: state('blue', over), observed, servers });
    expect(run).toThrow(NotWarmError);
    expect(run).toThrow(/cannot roll back to green/);
    expect(run).toThrow(reason);
  });
});
