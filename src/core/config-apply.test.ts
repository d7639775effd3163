import { describe, expect, it } from 'vitest';
import { config, T0 } from '../../test/support/core-fakes.js';
import { fakeClock } from '../../test/support/fakes.js';
import { ConfigApplier } from './config-apply.js';
import { HaproxyRuntimeError } from './errors.js';
import { SINGLE_SERVER_LAYOUT } from './layout.js';
import type { Runtime } from './runtime.js';
import { serverLines } from './runtime-change.js';
import { commandText, type RuntimeServer, type ServerCommand } from './runtime-servers.js';

// The applier's choice between the runtime API and a reload, against a HAProxy fake that keeps
// server state the way `show servers state` reports it and applies the commands it is sent.

const file = (green: string, weights: [number, number] = [100, 0], greenExtra = '') =>
  [
    '# Service web: blue linked',
    'global',
    'backend be_web',
    '    default-server check inter 2s rise 2 fall 3',
    `    server blue 172.18.0.2:8080 weight ${weights[0]}`,
    `    server green ${green} weight ${weights[1]}${greenExtra}`,
    '',
  ].join('\n');
/** A colour without a container: the placeholder the shipped template renders. */
const placeholder = () => file('127.0.0.1:1', [100, 0], ' disabled');

/** `lateReads`: how many reads after a command still show the old servers (HAProxy 3.0's delay). */
function world(initial: string, { refuse = false, reloadEveryChange = false, lateReads = 0 } = {}) {
  const log: string[] = [];
  let disk: string | null = initial;
  const load = (text: string): RuntimeServer[] => serverLines(text).map((s) => ({ ...s, maint: s.disabled }));
  let servers = load(initial);
  let before: RuntimeServer[] | null = null;
  let late = 0;
  const clock = fakeClock(T0);
  const apply = (c: ServerCommand) => {
    const s = servers.find((x) => x.server === c.server);
    if (!s) return;
    if (c.kind === 'maint') s.maint = true;
    if (c.kind === 'ready') s.maint = false;
    if (c.kind === 'addr') Object.assign(s, { address: c.address, port: c.port });
    if (c.kind === 'weight') s.weight = c.weight;
  };
  const rt = {
    config,
    clock,
    layout: SINGLE_SERVER_LAYOUT,
    progress: { phase: () => undefined, warn: (m: string) => void log.push(`warn ${m}`) },
    configFile: {
      read: async () => disk,
      write: async (text: string) => {
        log.push('write');
        disk = text;
      },
      writeMaps: async () => undefined,
    },
    haproxy: {
      running: async () => true,
      validate: async () => void log.push('validate'),
      reload: async () => {
        log.push('reload');
        servers = load(disk ?? '');
      },
      clearCounters: async () => void log.push('clear counters'),
      serversState: async () => {
        if (late > 0 && before) {
          late--;
          log.push('read (old)');
          return before.map((s) => ({ ...s }));
        }
        return servers.map((s) => ({ ...s }));
      },
      runServerCommands: async (commands: ServerCommand[]) => {
        if (refuse) throw new HaproxyRuntimeError('HAProxy refused a server change: No such server.');
        before = servers.map((s) => ({ ...s }));
        late = lateReads;
        for (const c of commands) {
          log.push(commandText(c));
          apply(c);
        }
      },
    },
    ...(reloadEveryChange ? { reloadEveryChange } : {}),
  } as unknown as Runtime;
  const applier = new ConfigApplier(rt);
  const run = (text: string, fresh?: 'green', freshCounters = false) =>
    applier.apply(
      { text, maps: [] },
      { ...(fresh ? { fresh } : {}), freshCounters, switched: false, onWritten: () => undefined },
    );
  return { run, log, drift: apply, disk: () => disk, clock };
}

describe('ConfigApplier', () => {
  it('stages a new container through the runtime API, then writes the file; no reload', async () => {
    const w = world(placeholder());
    await w.run(file('172.18.0.3:8080'), 'green');
    expect(w.log).toEqual([
      'validate',
      'set server be_web/green addr 172.18.0.3 port 8080',
      'set server be_web/green state ready',
      'set server be_web/green health down',
      'write',
    ]);
  });

  it('flips the weights of a switch at runtime, raising before lowering', async () => {
    const w = world(file('172.18.0.3:8080'));
    await w.run(file('172.18.0.3:8080', [0, 100]));
    expect(w.log).toEqual(['validate', 'set weight be_web/green 100', 'set weight be_web/blue 0', 'write']);
  });

  it('reloads for anything beyond servers, and when HAProxy refuses a command', async () => {
    const w = world(file('172.18.0.3:8080'));
    await w.run(file('172.18.0.3:8080').replace('inter 2s', 'inter 1s'));
    expect(w.log).toEqual(['validate', 'write', 'reload']);

    const refused = world(file('172.18.0.3:8080'), { refuse: true });
    await refused.run(file('172.18.0.9:8080'));
    expect(refused.log).toEqual([
      'validate',
      'warn HAProxy refused a runtime change; reloading it from haproxy.cfg',
      'write',
      'reload',
    ]);
  });

  it('zeroes the counters after staging a fresh colour for a canary or watch, never on a reload', async () => {
    const w = world(file('172.18.0.3:8080'));
    await w.run(file('172.18.0.9:8080'), 'green', true);
    expect(w.log.slice(-2)).toEqual(['clear counters', 'write']);
    const plain = world(file('172.18.0.3:8080'));
    await plain.run(file('172.18.0.9:8080'), 'green');
    expect(plain.log).not.toContain('clear counters');
    // A reload starts a worker with zeroed counters: nothing to clear.
    const reload = world(file('172.18.0.3:8080'), { reloadEveryChange: true });
    await reload.run(file('172.18.0.9:8080'), 'green', true);
    expect(reload.log).toEqual(['validate', 'write', 'reload']);
  });

  it('reads back until a change shows (HAProxy 3.0 applies an address a moment later)', async () => {
    const w = world(placeholder(), { lateReads: 3 });
    await w.run(file('172.18.0.3:8080'), 'green');
    // The address before the check starts, then the rest.
    expect(w.log.slice(1, 6)).toEqual([
      'set server be_web/green addr 172.18.0.3 port 8080',
      'read (old)',
      'read (old)',
      'read (old)',
      'set server be_web/green state ready',
    ]);
    expect(w.log.filter((l) => l === 'read (old)')).toHaveLength(6);
    expect(w.log).not.toContain('reload');
    expect(w.log.at(-1)).toBe('write');
  });

  it('reloads when a change has not shown after the settle time', async () => {
    const w = world(placeholder(), { lateReads: 1_000_000 });
    const started = w.clock.monotonic();
    await w.run(file('172.18.0.3:8080'), 'green');
    expect(w.clock.monotonic() - started).toBeGreaterThanOrEqual(500);
    expect(w.log.slice(-3)).toEqual([
      'warn HAProxy did not take a server address; reloading it from haproxy.cfg',
      'write',
      'reload',
    ]);
    // Nothing started a check at an address HAProxy had not taken.
    expect(w.log).not.toContain('set server be_web/green state ready');
  });

  it('brings a runtime that drifted from an unchanged file back to it (a crash between the two)', async () => {
    const w = world(file('172.18.0.3:8080'));
    w.drift({ kind: 'addr', backend: 'be_web', server: 'green', address: '172.18.0.7', port: 8080 });
    await w.run(file('172.18.0.3:8080'));
    expect(w.log).toEqual([
      'set server be_web/green state maint',
      'set server be_web/green addr 172.18.0.3 port 8080',
      'set server be_web/green state ready',
      'set server be_web/green health down',
    ]);
  });

  it('checks a fresh container afresh even at the address HAProxy knew', async () => {
    const w = world(file('172.18.0.3:8080'));
    await w.run(file('172.18.0.3:8080'), 'green');
    expect(w.log).toHaveLength(4);
    expect(w.log[0]).toBe('set server be_web/green state maint');
  });

  it('with reloadEveryChange (the bench’s before), stages with a reload and switches at runtime', async () => {
    const w = world(file('172.18.0.3:8080'), { reloadEveryChange: true });
    await w.run(file('172.18.0.9:8080'), 'green');
    expect(w.log).toEqual(['validate', 'write', 'reload']);
    w.log.length = 0;
    await w.run(file('172.18.0.9:8080', [0, 100]));
    expect(w.log).toEqual(['validate', 'set weight be_web/green 100', 'set weight be_web/blue 0', 'write']);
  });
});
