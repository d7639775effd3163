import type { Logger } from 'pino';
import { type Backoff, backoff, pause } from '../adapters/backoff.js';
import { messageOf } from '../core/errors.js';
import type { ColourEvent, ColourEventSource } from '../core/ports.js';

// Follows Docker's event stream for the colours for as long as the sidecar runs: connect,
// reconnect with back-off when the engine closes the stream (restart, upgrade), and after every
// reconnect ask for a resync, because events sent while disconnected are lost.

export interface EventFollowerOptions {
  source: ColourEventSource;
  log: Logger;
  signal: AbortSignal;
  onEvent(event: ColourEvent): void;
  /** Called after a reconnect (not after the first connect): look at the world directly. */
  onResync(): void;
  delays?: Backoff;
}

/** Resolves when `signal` aborts; never throws. */
export async function followEvents(options: EventFollowerOptions): Promise<void> {
  const { source, log, signal } = options;
  const delays = options.delays ?? backoff(500, 30_000);
  let connectedBefore = false;
  while (!signal.aborted) {
    let stop: (() => void) | null = null;
    try {
      let ended!: (error?: unknown) => void;
      const end = new Promise<unknown>((resolve) => {
        ended = resolve;
      });
      const onAbort = () => ended();
      signal.addEventListener('abort', onAbort, { once: true });
      stop = await source.watch(options.onEvent, ended);
      delays.reset();
      log.info('Following Docker events of the colour containers');
      if (connectedBefore) options.onResync();
      connectedBefore = true;
      const error = await end;
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) break;
      log.warn({ error: error ? messageOf(error) : 'stream closed' }, 'Docker event stream ended; reconnecting');
    } catch (error) {
      if (signal.aborted) break;
      log.warn({ error: messageOf(error) }, 'Cannot follow Docker events; retrying');
    } finally {
      stop?.();
    }
    await pause(delays.next(), signal);
  }
}
