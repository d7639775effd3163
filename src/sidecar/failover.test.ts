import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import { NotWarmError, UnhealthyError } from '../core/errors.js';
import type { ColourEvent } from '../core/ports.js';
import { initialState, type State } from '../core/state.js';
import { decideFailover, Failover } from './failover.js';
import { Metrics } from './metrics.js';

// The failover policy (pure) and its execution against plain fakes.

const died = (colour: 'blue' | 'green', exitCode: number | null = 137): ColourEvent => ({
  service: 'web',
  colour,
  container: `web-${colour}`,
  action: 'die',
  exitCode,
});
const blueLinked: State = { ...initialState('web'), linked: 'blue' };

describe('decideFailover', () => {
  it('fails over only for the linked colour dying or turning unhealthy, and only when enabled', () => {
    expect(decideFailover(died('blue'), blueLinked, true)).toBe('fail-over');
    expect(decideFailover({ ...died('blue'), action: 'unhealthy' }, blueLinked, true)).toBe('fail-over');
    expect(decideFailover(died('blue'), blueLinked, false)).toBe('report-only');
    expect(decideFailover(died('green'), blueLinked, true)).toBe('idle-colour');
    expect(decideFailover(died('blue'), null, true)).toBe('idle-colour');
    expect(decideFailover({ ...died('blue'), action: 'start' }, blueLinked, true)).toBe('ignore');
    expect(decideFailover({ ...died('blue'), action: 'healthy' }, blueLinked, true)).toBe('ignore');
  });

  it("ignores the death of a deploy's retired container, even of the colour linked by now", () => {
    const retired = { ...died('blue'), container: 'web-blue-retired-mf3k2x1' };
    expect(decideFailover(retired, blueLinked, true)).toBe('ignore');
  });
});

function setup(options: {
  enabled?: boolean;
  states?: Array<State | null>;
  rollback?: () => Promise<{ linked: 'blue' | 'green' }>;
}) {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const metrics = new Metrics('web');
  const states = [...(options.states ?? [blueLinked, blueLinked])];
  let rollbacks = 0;
  const failover = new Failover({
    enabled: options.enabled ?? true,
    log,
    metrics,
    signal: new AbortController().signal,
    readState: async () => states.shift() ?? blueLinked,
    rollback: async () => {
      rollbacks++;
      return options.rollback ? options.rollback() : { linked: 'green' };
    },
  });
  return { failover, lines, metrics, rollbacks: () => rollbacks };
}

describe('Failover', () => {
  it('rolls back to the warm colour when the linked one dies, and counts it', async () => {
    const f = setup({});
    await f.failover.handle(died('blue'));
    expect(f.rollbacks()).toBe(1);
    expect(f.lines.map((l) => l.msg)).toEqual([
      'LINKED COLOUR BLUE FAILED: its container stopped (exit code 137) while serving traffic',
      'Failed over to green, the warm colour',
    ]);
    expect(f.metrics.render()).toMatch(/linkswitch_linked_failures_total\{service="web",event="die"\} 1/);
  });

  it('does nothing but say so for the idle colour, or with failover off', async () => {
    const idle = setup({});
    await idle.failover.handle(died('green', null));
    expect(idle.rollbacks()).toBe(0);
    expect(idle.lines.map((l) => l.msg)).toEqual(["The idle colour's container stopped; traffic is not affected"]);
    const off = setup({ enabled: false });
    await off.failover.handle({ ...died('blue'), action: 'unhealthy' });
    expect(off.rollbacks()).toBe(0);
    expect(off.lines.at(-1)?.msg).toMatch(/Failover is off/);
  });

  it('skips the rollback when traffic moved meanwhile (a deploy finished)', async () => {
    const f = setup({ states: [blueLinked, { ...blueLinked, linked: 'green' }] });
    await f.failover.handle(died('blue'));
    expect(f.rollbacks()).toBe(0);
  });

  it('reports a colour that is not warm in one clear line, and leaves other failures to the operation', async () => {
    const cold = setup({
      rollback: async () => {
        throw new NotWarmError('green is not running');
      },
    });
    await cold.failover.handle(died('blue'));
    expect(cold.lines.at(-1)?.msg).toBe(
      'Cannot fail over: green is not running; the service has no healthy linked colour until one is deployed',
    );
    const other = setup({
      rollback: async () => {
        throw new UnhealthyError('x');
      },
    });
    await expect(other.failover.handle(died('blue'))).resolves.toBeUndefined();
  });

  it('resync: a linked container found stopped after a reconnect is a failure like its die event', async () => {
    const f = setup({ states: [blueLinked, blueLinked, blueLinked] });
    const stopped = observedContainer('blue', { address: null, exitCode: 0 });
    await f.failover.resync(async (colour) => (colour === 'blue' ? stopped : null));
    expect(f.rollbacks()).toBe(1);
    const running = setup({});
    await running.failover.resync(async (colour) => observedContainer(colour));
    expect(running.rollbacks()).toBe(0);
  });
});
