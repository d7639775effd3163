import { setTimeout as sleep } from 'node:timers/promises';

// Retry pacing for things the sidecar waits on (HAProxy's socket, Docker's event stream, a
// failing first reconcile): quick at first, then no more often than every `maxMs`.

export function backoff(initialMs = 500, maxMs = 30_000): { next(): number; reset(): void } {
  let current = initialMs;
  return {
    next() {
      const delay = current;
      current = Math.min(maxMs, current * 2);
      return delay;
    },
    reset() {
      current = initialMs;
    },
  };
}

/** Sleeps `ms`, or less if `signal` aborts first; never throws. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
