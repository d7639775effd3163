import { describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import type { Colour } from './colour.js';
import { NotWarmError } from './errors.js';
import { describeStep, type Observed, planDeploy, planRollback, planUp, type Step } from './plan.js';
import type { ObservedContainer, ServerView } from './ports.js';
import { initialState, type State } from './state.js';

function container(colour: Colour, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return observedContainer(colour, over);
}

function server(colour: Colour, over: Partial<ServerView> = {}): ServerView {
  return {
    colour,
    status: 'UP',
    weight: colour === 'blue' ? 100 : 0,
    address: '127.0.0.1:1',
    sessions: 0,
    checkStatus: 'L7OK',
    ...over,
  };
}

const task = (address: string) => ({
  id: address,
  node: 'node-1',
  state: 'running',
  image: 'app:1',
  error: null,
  address,
});

const record = (image: string, colour: Colour) => ({
  image,
  container: `web-${colour}`,
  deployedAt: '2025-01-01T00:00:00.000Z',
});

function state(linked: Colour = 'blue', over: Partial<State> = {}): State {
  return {
    ...initialState('web'),
    linked,
    generation: 4,
    lastSwitchAt: '2025-01-01T00:00:00.000Z',
    colours: { blue: record('app:1', 'blue'), green: record('app:0', 'green') },
    ...over,
  };
}

const kinds = (steps: Step[]) => steps.map((s) => s.kind);
const indexOf = (steps: Step[], kind: Step['kind']) => steps.findIndex((s) => s.kind === kind);
const lastIndexOf = (steps: Step[], kind: Step['kind']) => steps.map((s) => s.kind).lastIndexOf(kind);

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

  it('orders the gates: config check first, health before config, check before switch, record after switch, drain last', () => {
    const steps = planDeploy({
      state: state('blue'),
      observed: { blue: container('blue'), green: container('green') },
      image: 'app:2',
      haproxyRunning: true,
    });
    expect(kinds(steps)).toEqual([
      'check-config',
      'mark-pending',
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
    expect(indexOf(steps, 'drain')).toBe(steps.length - 1);
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
      { kind: 'apply-config', linked: 'blue' },
      { kind: 'apply-config', linked: 'green' },
    ]);
    expect(steps.filter((s) => s.kind === 'check-config')).toEqual([
      { kind: 'check-config', linked: 'blue' },
      { kind: 'check-config', linked: 'green' },
    ]);
  });
});

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

describe('describeStep', () => {
  const every: Array<[Step, RegExp]> = [
    [{ kind: 'mark-pending', colour: 'green', image: 'app:2' }, /green.*app:2/],
    [{ kind: 'remove-container', colour: 'green' }, /remove.*green/],
    [{ kind: 'run-container', colour: 'blue', image: 'app:3' }, /blue.*app:3/],
    [{ kind: 'start-container', colour: 'blue' }, /start.*blue/],
    [{ kind: 'wait-healthy', colour: 'green' }, /green.*healthy/],
    [{ kind: 'apply-config', linked: 'green' }, /green linked/],
    [{ kind: 'check-config', linked: 'blue' }, /validate.*blue linked/],
    [{ kind: 'start-haproxy' }, /start HAProxy/],
    [{ kind: 'wait-haproxy-up', colour: 'green' }, /green UP/],
    [{ kind: 'switch', from: 'blue', to: 'green' }, /from blue to green/],
    [{ kind: 'record-state', linked: 'green', image: null, switched: true }, /record green/],
    [{ kind: 'resolve-pending' }, /interrupted deploy/],
    [{ kind: 'drain', colour: 'blue' }, /drain blue/],
  ];

  it.each(every)('describes %o', (step, pattern) => {
    expect(describeStep(step)).toMatch(pattern);
  });

  it('covers all 13 step kinds with distinct one-line descriptions', () => {
    const texts = every.map(([step]) => describeStep(step));
    expect(new Set(every.map(([s]) => s.kind)).size).toBe(13);
    expect(new Set(texts).size).toBe(13);
    for (const text of texts) expect(text).not.toContain('\n');
  });
});
