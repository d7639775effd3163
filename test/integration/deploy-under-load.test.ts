import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failures, type Sample, startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// The main promise of linkswitch, against a real dockerd and a real HAProxy: under continuous
// keep-alive load, 10 deploys and 10 rollbacks in a row lose no request, every switch is
// complete when the command returns, and the state file always names the serving colour.

const ROUNDS = 10;

describe('deploy and rollback under keep-alive load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await createStack('load');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it(`serves every request through ${ROUNDS} deploys and ${ROUNDS} rollbacks`, { timeout: 300_000 }, async () => {
    const load = startLoad({ port: stack.port, connections: 8, maxDurationMs: 240_000 });
    const switches: Array<{
      command: string;
      startedAt: number;
      returnedAt: number;
      version: string;
      colour: string;
      switchMs: number;
      durationMs: number;
      wallMs: number;
      steps: string[];
    }> = [];
    const run = async (args: string[], version: string) => {
      const started = performance.now();
      const result = await stack.cli([...args, '--json']);
      const returnedAt = performance.now();
      expect(result.exitCode, result.all).toBe(0);
      const summary = JSON.parse(result.stdout);
      const state = await stack.readState();
      // The state file names the colour that serves, and that colour runs the expected image.
      expect(state.linked).toBe(summary.linked);
      expect(state.colours[state.linked]?.image).toBe(`linkswitch-test-app:${version}`);
      expect(state.pending).toBeNull();
      switches.push({
        command: args[0]!,
        startedAt: started,
        returnedAt,
        version,
        colour: state.linked,
        switchMs: summary.switchMs,
        durationMs: summary.durationMs,
        wallMs: returnedAt - started,
        steps: summary.steps,
      });
      // Let some traffic flow on the new colour before the next switch.
      await new Promise((r) => setTimeout(r, 300));
    };

    await new Promise((r) => setTimeout(r, 300));
    for (let round = 0; round < ROUNDS; round++) {
      await run(['deploy', '--image', 'linkswitch-test-app:v2'], 'v2');
      await run(['rollback'], 'v1');
    }
    await run(['deploy', '--image', 'linkswitch-test-app:v2'], 'v2');
    const samples = await load.stop();

    const failed = failures(samples);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const deploys = switches.filter((s) => s.command === 'deploy');
    const rollbacks = switches.filter((s) => s.command === 'rollback');
    console.log(
      JSON.stringify({
        requests: samples.length,
        failed: failed.length,
        deploys: deploys.length,
        rollbacks: rollbacks.length,
        medianSwitchMs: median(switches.map((s) => s.switchMs)),
        medianDeployMs: median(deploys.map((s) => s.durationMs)),
        medianRollbackMs: median(rollbacks.map((s) => s.durationMs)),
        medianRollbackWallMs: Math.round(median(rollbacks.map((s) => s.wallMs))),
      }),
    );

    expect(samples.length).toBeGreaterThan(1000);
    expect(failed.slice(0, 5)).toEqual([]);
    // After each command returned, every request that started later was answered by the new version.
    for (const [i, sw] of switches.entries()) {
      const until = switches[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
      const window = samples.filter((s: Sample) => s.startedAt > sw.returnedAt && s.startedAt < until);
      const wrong = window.filter((s) => s.version !== sw.version);
      expect(window.length, `no traffic observed after ${sw.command} #${i}`).toBeGreaterThan(0);
      expect(wrong.length, `${sw.command} #${i}: ${wrong.length} requests answered by ${wrong[0]?.version}`).toBe(0);
    }
    // Rollback flips to a warm colour: no container is created, started or waited for (how fast
    // that is belongs to the bench, not to a test on a machine whose speed varies).
    for (const rb of rollbacks) {
      expect(rb.steps).toContain('switch');
      expect(rb.steps.filter((k) => /container|wait-healthy/.test(k))).toEqual([]);
    }
  });
});
