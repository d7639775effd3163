import { describe, expect, it } from 'vitest';
import { RetiredRemovals } from './retired-removals.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A removal that records when it ran and takes `ms`. */
function removal(log: string[], name: string, ms = 0) {
  return async () => {
    log.push(`start ${name}`);
    await sleep(ms);
    log.push(`end ${name}`);
  };
}

describe('RetiredRemovals', () => {
  it('removes once the sidecar has been idle for the delay', async () => {
    const log: string[] = [];
    const removals = new RetiredRemovals(40);
    removals.schedule(removal(log, 'a'));
    await sleep(20);
    expect(log).toEqual([]);
    await sleep(60);
    expect(log).toEqual(['start a', 'end a']);
    expect(removals.size).toBe(0);
  });

  it('never starts while an operation runs, and waits the delay again after it', async () => {
    const log: string[] = [];
    const removals = new RetiredRemovals(40);
    removals.schedule(removal(log, 'a'));
    await removals.operationStarts('rollback');
    await sleep(80);
    expect(log).toEqual([]);
    removals.operationEnds();
    await sleep(20);
    expect(log).toEqual([]);
    await sleep(50);
    expect(log).toEqual(['start a', 'end a']);
  });

  it('a deploy waits for a removal in progress; a rollback does not', async () => {
    const log: string[] = [];
    const removals = new RetiredRemovals(10);
    removals.schedule(removal(log, 'a', 60));
    await sleep(30);
    expect(log).toEqual(['start a']);
    await removals.operationStarts('rollback');
    log.push('rollback runs');
    removals.operationEnds();
    await removals.operationStarts('deploy');
    log.push('deploy runs');
    removals.operationEnds();
    expect(log).toEqual(['start a', 'rollback runs', 'end a', 'deploy runs']);
  });

  it('flush runs what is pending at once, and what was scheduled during a removal', async () => {
    const log: string[] = [];
    const removals = new RetiredRemovals(60_000);
    removals.schedule(removal(log, 'a', 20));
    removals.schedule(removal(log, 'b'));
    await removals.flush(5_000);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(removals.size).toBe(0);
  });
});
