import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConsistent, statusOf } from '../support/consistency.js';
import { httpGet, versionOf } from '../support/fakes.js';
import { failures, type LoadRun, startLoad } from '../support/load.js';
import { CLI, createStack, type Stack } from '../support/stack.js';

// Chaos: the deploying (or rolling back) controller is killed with SIGKILL at random instants,
// not only at the pause points, many times under keep-alive load; each kill is followed by `up`.
// No request may fail, and after every recovery the state file, HAProxy's weights and the
// containers agree and the version served is the one recorded. The seed is printed (and read
// from LINKSWITCH_CHAOS_SEED) so that a failure can be replayed exactly.

const ROUNDS = 12;
/** Kill somewhere between spawn and the end of a typical deploy (about 1.3 s here). */
const KILL_WINDOW_MS = [30, 1600] as const;

/** mulberry32: a small seeded generator, so a run is reproducible from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('chaos: SIGKILL at random instants', () => {
  const seed = Number(process.env.LINKSWITCH_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const next = random(seed);
  let stack: Stack;
  let load: LoadRun;

  beforeAll(async () => {
    console.log(JSON.stringify({ chaosSeed: seed, replay: `LINKSWITCH_CHAOS_SEED=${seed}` }));
    stack = await createStack('chaos');
    expect((await stack.cli(['up'])).exitCode).toBe(0);
    load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 200_000 });
  });
  afterAll(async () => {
    await load?.stop();
    await stack?.destroy();
  });

  it(`${ROUNDS} rounds of kill → up: zero failed requests, state, weights and served version agree (seed printed)`, {
    timeout: 180_000,
  }, async () => {
    const kills: Array<{ round: number; command: string; afterMs: number; exitCode: number | undefined }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await statusOf(stack);
      const image = before.colours.find((c) => c.linked)?.image?.endsWith(':v1')
        ? 'linkswitch-test-app:v2'
        : 'linkswitch-test-app:v1';
      const command = next() < 0.75 ? ['deploy', '--image', image] : ['rollback'];
      const afterMs = Math.round(KILL_WINDOW_MS[0] + next() * (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]));
      const child = execa('node', [CLI, ...command], {
        reject: false,
        env: { LINKSWITCH_CONFIG: stack.configFile, LINKSWITCH_LOG_FORMAT: 'json' },
        timeout: 60_000,
      });
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      child.kill('SIGKILL');
      const ended = await child;
      kills.push({ round, command: command[0]!, afterMs, exitCode: ended.exitCode });

      const up = await stack.cli(['up']);
      expect(up.exitCode, `round ${round} (seed ${seed}): ${up.all}`).toBe(0);
      const where = `round ${round}, ${command.join(' ')} killed after ${afterMs} ms (seed ${seed})`;
      await expectConsistent(stack, where);
      const state = await stack.readState();
      const recorded = state.colours[state.linked]?.image?.split(':').pop();
      for (let i = 0; i < 5; i++) expect(versionOf(await httpGet(stack.port)), where).toBe(recorded);
    }
    const samples = await load.stop();
    console.log(
      JSON.stringify({
        chaos: true,
        seed,
        rounds: ROUNDS,
        requests: samples.length,
        failed: failures(samples).length,
        kills,
      }),
    );
    expect(failures(samples).slice(0, 5), `seed ${seed}`).toEqual([]);
  });
});
