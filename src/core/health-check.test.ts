import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/support/fakes.js';
import { waitUntilHaproxySeesUp } from './health-check.js';
import type { HaproxyPort, ServerView } from './ports.js';

// The gate before a switch: HAProxy's own check must have passed against the colour, at full
// health. What HAProxy showed, poll after poll, when a staged colour was switched to too early.

const view = (status: string, checkStatus: string): ServerView => ({
  colour: 'green',
  status,
  weight: 0,
  address: '172.18.0.5:8080',
  sessions: 0,
  checkStatus,
});

function haproxySeeing(...polls: ServerView[]) {
  let seen = 0;
  return {
    haproxy: { servers: async () => [polls[Math.min(seen++, polls.length - 1)]!] } as unknown as HaproxyPort,
    polls: () => seen,
  };
}

describe('waitUntilHaproxySeesUp', () => {
  it('waits past the lowest healthy level, whose check result is the previous container’s', async () => {
    // Out of maintenance at a new address: "UP 1/2" with the old L7OK; one slow check from DOWN.
    const h = haproxySeeing(view('UP 1/2', 'L7OK'), view('UP 1/2', 'L7OK'), view('UP', 'L7OK'));
    await waitUntilHaproxySeesUp(h.haproxy, fakeClock(), 'green', 5_000);
    expect(h.polls()).toBe(3);
  });

  it('waits for a completed check, from DOWN (staged) or before the first one (a fresh worker)', async () => {
    const h = haproxySeeing(view('DOWN', 'L7OK'), view('UP', 'INI'), view('UP', 'L7OK'));
    await waitUntilHaproxySeesUp(h.haproxy, fakeClock(), 'green', 5_000);
    expect(h.polls()).toBe(3);
  });

  it('gives up after the timeout, naming what HAProxy last showed', async () => {
    const h = haproxySeeing(view('UP 1/2', 'L7OK'));
    await expect(waitUntilHaproxySeesUp(h.haproxy, fakeClock(), 'green', 1_000)).rejects.toThrow(
      /never saw green UP within 1000 ms \(last: UP 1\/2 \(L7OK\)\)/,
    );
  });
});
