import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileQueue, type ReconcileRun } from './reconcile-queue.js';

// The debounced queue with fake timers: gathering (min wait), the cap (max wait), one more run
// for whatever arrives during a run, and abort.

function setup(minWaitMs = 100, maxWaitMs = 1000) {
  const runs: Array<{ at: number; batch: ReconcileRun }> = [];
  let release: (() => void) | null = null;
  let hold = false;
  const outcomes: boolean[] = [];
  const abort = new AbortController();
  const queue = new ReconcileQueue({
    minWaitMs,
    maxWaitMs,
    signal: abort.signal,
    run: async (batch) => {
      runs.push({ at: Date.now(), batch });
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return outcomes.shift() ?? true;
    },
  });
  return {
    queue,
    runs,
    abort,
    holdRuns: () => {
      hold = true;
    },
    finishRun: () => {
      hold = false;
      release?.();
    },
    /** The outcomes of the next runs, in order (then true). */
    outcomesAre: (...next: boolean[]) => outcomes.push(...next),
  };
}

describe('ReconcileQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gathers a burst into one run, minWait after the last trigger, with every reason and kind', async () => {
    const { queue, runs } = setup();
    const a = queue.request('changed: a.hbs', ['template']);
    await vi.advanceTimersByTimeAsync(60);
    const b = queue.request('changed: linkswitch.yml', ['config']);
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.at).toBe(160);
    expect(runs[0]!.batch.reasons).toEqual(['changed: a.hbs', 'changed: linkswitch.yml']);
    expect([...runs[0]!.batch.kinds].sort()).toEqual(['config', 'template']);
    await expect(Promise.all([a, b])).resolves.toEqual([true, true]);
  });

  it('never waits longer than maxWait after the first trigger, however long the burst', async () => {
    const { queue, runs } = setup(100, 250);
    for (let t = 0; t < 400; t += 50) {
      void queue.request(`t${t}`);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(runs[0]!.at).toBe(250);
    expect(runs[0]!.batch.reasons).toEqual(['t0', 't50', 't100', 't150', 't200']);
  });

  it('immediate skips the wait', async () => {
    const { queue, runs } = setup();
    const done = queue.request('start', [], { immediate: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.at)).toEqual([0]);
    await expect(done).resolves.toBe(true);
  });

  it('triggers during a run make exactly one more run after it, and each caller gets its own run outcome', async () => {
    const { queue, runs, holdRuns, finishRun, outcomesAre } = setup();
    outcomesAre(true, false);
    holdRuns();
    const first = queue.request('first');
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(1);
    const second = queue.request('second');
    const third = queue.request('third');
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toHaveLength(1); // still running: nothing starts beside it
    finishRun();
    await expect(first).resolves.toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    // Their last trigger came 500 ms ago (more than minWait): the next run starts at once.
    expect(runs).toHaveLength(2);
    expect(runs[1]!.batch.reasons).toEqual(['second', 'third']);
    await expect(Promise.all([second, third])).resolves.toEqual([false, false]);
    expect(queue.busy).toBe(false);
  });

  it('after abort nothing starts and waiting callers get false', async () => {
    const { queue, runs, abort } = setup();
    const pending = queue.request('late');
    abort.abort();
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(0);
    await expect(pending).resolves.toBe(false);
    await expect(queue.request('after')).resolves.toBe(false);
  });
});
