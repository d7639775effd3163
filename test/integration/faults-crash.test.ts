import { access } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Checker, startChecker } from '../support/checker.js';
import { expectConsistent as expectConsistentWith, statusOf } from '../support/consistency.js';
import { failures, type LoadRun, startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// Crash safety: SIGKILL the controller at each phase of a deploy (test-only pause points, not
// sleeps), under keep-alive load and a 100 ms consistency checker. After each kill: no request
// failed, the lock is not taken over while its owner lives, and the next command recovers to a
// state where the state file, HAProxy and the containers agree.

interface Phase {
  point: string;
  what: string;
  image: 'v1' | 'v2' | 'slow' | 'other';
  recoverWith: 'up' | 'deploy' | 'status-then-up';
  /** Whether traffic had already moved to the new colour when the controller died. */
  switched: boolean;
}

const PHASES: Phase[] = [
  {
    point: 'after-run-container',
    what: 'after the idle colour is created',
    image: 'other',
    recoverWith: 'up',
    switched: false,
  },
  {
    point: 'before-wait-healthy',
    what: 'while waiting for health',
    image: 'slow',
    recoverWith: 'deploy',
    switched: false,
  },
  {
    point: 'runtime-changed',
    what: 'after the runtime API staged the new colour, before the config is written',
    image: 'other',
    recoverWith: 'up',
    switched: false,
  },
  {
    point: 'config-written',
    what: 'after the runtime change and the config are written',
    image: 'other',
    recoverWith: 'status-then-up',
    switched: false,
  },
  {
    point: 'after-switch',
    what: 'after the runtime flip, before the state is written',
    image: 'other',
    recoverWith: 'up',
    switched: true,
  },
  {
    point: 'config-written#2',
    what: 'after the switch is recorded and its config written',
    image: 'other',
    recoverWith: 'deploy',
    switched: true,
  },
  {
    point: 'before-drain',
    what: "while the idle colour's old container drains, before it is replaced",
    image: 'other',
    recoverWith: 'up',
    switched: false,
  },
  {
    point: 'before-drain#2',
    what: 'during the drain after the switch',
    image: 'other',
    recoverWith: 'up',
    switched: true,
  },
];

describe('SIGKILL at every deploy phase', () => {
  let stack: Stack;
  let load: LoadRun;
  let checker: Checker;

  const status = () => statusOf(stack);
  const expectConsistent = () => expectConsistentWith(stack);

  beforeAll(async () => {
    stack = await createStack('crash');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 240_000 });
    checker = startChecker({ port: stack.port, stateFile: stack.stateFile, maxDurationMs: 240_000 });
  });

  afterAll(async () => {
    await checker?.stop();
    await load?.stop();
    await stack?.destroy();
  });

  for (const phase of PHASES) {
    it(`recovers from a kill ${phase.what} (${phase.point})`, { timeout: 60_000 }, async () => {
      const before = await expectConsistent();
      const currentImage = before.colours.find((c) => c.linked)!.image!;
      const image =
        phase.image === 'other'
          ? currentImage.endsWith(':v1')
            ? 'linkswitch-test-app:v2'
            : 'linkswitch-test-app:v1'
          : `linkswitch-test-app:${phase.image}`;
      const windowStart = performance.now();
      const paused = await stack.startPaused(['deploy', '--image', image], phase.point);

      // While the owner lives, its lock is respected.
      const refused = await stack.cli(['up']);
      expect(refused.exitCode, refused.all).toBe(4);

      await paused.kill();
      await access(`${stack.stateFile}.lock`); // the dead owner's lock is still on disk

      if (phase.recoverWith === 'status-then-up') {
        const seen = await status();
        expect(seen.pending).toMatchObject({ image });
      }
      const recovery = await stack.cli([phase.recoverWith === 'deploy' ? 'deploy' : 'up']);
      expect(recovery.exitCode, recovery.all).toBe(0);
      checker.allow(windowStart, performance.now());

      const after = await expectConsistent();
      const linkedImage = after.colours.find((c) => c.linked)!.image;
      if (phase.recoverWith === 'deploy') {
        // The recovery deploy itself switched once more, to the configured image.
        expect(linkedImage).toBe('linkswitch-test-app:v1');
      } else {
        expect(linkedImage).toBe(phase.switched ? image : currentImage);
      }
    });
  }

  it('never failed a request and never disagreed outside a kill-to-recovery window', async () => {
    const { samples, violations } = await checker.stop({ atLeast: 51 });
    const served = await load.stop();
    expect(samples.length).toBeGreaterThan(50);
    expect(violations).toEqual([]);
    expect(served.length).toBeGreaterThan(1000);
    expect(failures(served)).toEqual([]);
  });
});
