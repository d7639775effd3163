// Retry pacing for things that are waited on (HAProxy's socket, Docker's event stream, a
// failing first reconcile): quick at first, then no more often than every `maxMs`.

export interface Backoff {
  next(): number;
  reset(): void;
}

export function backoff(initialMs = 500, maxMs = 30_000): Backoff {
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

/**
 * Sleeps `ms`, or less if `signal` aborts first; never throws. Global timers on purpose (not
 * `timers/promises`), so tests drive it with fake timers.
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
