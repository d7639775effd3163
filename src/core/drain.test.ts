import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/support/fakes.js';
import { drainColour } from './drain.js';
import type { HaproxyPort, Progress, ServerView } from './ports.js';
import type { Settings } from './settings.js';

// The drain polls HAProxy quickly at first (requests in flight at a switch end within
// milliseconds) and backs off, bounded by deploy.drainTimeout.

function setup(sessions: number[], drainTimeout = 10_000) {
  const clock = fakeClock();
  const slept: number[] = [];
  const sleep = clock.sleep;
  clock.sleep = async (ms) => {
    slept.push(ms);
    await sleep(ms);
  };
  let poll = 0;
  const haproxy = {
    servers: async (): Promise<ServerView[]> => [
      {
        colour: 'blue',
        status: 'UP',
        weight: 0,
        address: '',
        checkStatus: 'L7OK',
        sessions: sessions[Math.min(poll++, sessions.length - 1)]!,
      },
    ],
  } as unknown as HaproxyPort;
  const warnings: string[] = [];
  const progress = { phase: () => {}, warn: (m: string) => warnings.push(m) } as unknown as Progress;
  const config = { deploy: { drainTimeout } } as unknown as Settings;
  return { rt: { clock, haproxy, config, progress }, slept, warnings, polls: () => poll };
}

describe('drainColour', () => {
  it('returns at the first poll when nothing is in flight', async () => {
    const s = setup([0]);
    await drainColour(s.rt, 'blue');
    expect(s.slept).toEqual([]);
  });

  it('polls after 2, 4, 8 … ms, at most every 50 ms, until the sessions are gone', async () => {
    const s = setup([3, 2, 2, 1, 1, 1, 1, 1, 0]);
    await drainColour(s.rt, 'blue');
    expect(s.slept).toEqual([2, 4, 8, 16, 32, 50, 50, 50]);
    expect(s.polls()).toBe(9);
  });

  it('gives up at the drain timeout with a warning; the colour keeps its sessions', async () => {
    const s = setup([1], 200);
    await drainColour(s.rt, 'blue');
    expect(s.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
    expect(s.warnings).toEqual([expect.stringMatching(/Drain timed out/)]);
  });
});
