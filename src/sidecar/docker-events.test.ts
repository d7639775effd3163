import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ColourEvent, ColourEventSource } from '../core/ports.js';
import { followEvents } from './docker-events.js';

// Connect, reconnect with back-off, resync after a reconnect, stop on abort: with fake timers
// and a fake event source whose stream the test opens, ends and fails at will.

class FakeSource implements ColourEventSource {
  connects = 0;
  stops = 0;
  failNext = 0;
  private end: ((error?: unknown) => void) | null = null;
  private emit: ((event: ColourEvent) => void) | null = null;

  async watch(onEvent: (event: ColourEvent) => void, onEnd: (error?: unknown) => void): Promise<() => void> {
    this.connects++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connect ECONNREFUSED /var/run/docker.sock');
    }
    this.emit = onEvent;
    this.end = onEnd;
    return () => {
      this.stops++;
    };
  }

  send(event: ColourEvent): void {
    this.emit?.(event);
  }

  close(error?: unknown): void {
    this.end?.(error);
  }
}

const event: ColourEvent = { service: 'web', colour: 'blue', container: 'web-blue', action: 'die', exitCode: 1 };

describe('followEvents', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers events, reconnects with back-off, resyncs after a reconnect only, stops on abort', async () => {
    const source = new FakeSource();
    const abort = new AbortController();
    const events: ColourEvent[] = [];
    let resyncs = 0;
    const done = followEvents({
      source,
      log: pino({ level: 'silent' }),
      signal: abort.signal,
      onEvent: (e) => events.push(e),
      onResync: () => resyncs++,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(source.connects).toBe(1);
    source.send(event);
    expect(events).toEqual([event]);
    expect(resyncs).toBe(0);

    // The engine restarts: the stream ends, connecting fails twice, then works.
    source.failNext = 2;
    source.close(new Error('socket hang up'));
    await vi.advanceTimersByTimeAsync(499);
    expect(source.connects).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 500 ms
    expect(source.connects).toBe(2);
    await vi.advanceTimersByTimeAsync(1000); // then 1 s
    expect(source.connects).toBe(3);
    await vi.advanceTimersByTimeAsync(1999);
    expect(source.connects).toBe(3);
    await vi.advanceTimersByTimeAsync(1); // then 2 s
    expect(source.connects).toBe(4);
    expect(resyncs).toBe(1);
    expect(source.stops).toBe(1);

    // Connected again: the back-off starts over.
    source.close();
    await vi.advanceTimersByTimeAsync(500);
    expect(source.connects).toBe(5);
    expect(resyncs).toBe(2);

    abort.abort();
    await done;
    expect(source.stops).toBe(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.connects).toBe(5);
  });
});
