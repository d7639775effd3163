import type { Logger } from 'pino';
import { HaproxyRuntimeError } from '../core/errors.js';
import type { HaproxyPort } from '../core/ports.js';
import { backoff, pause } from './backoff.js';

// Beside HAProxy, the sidecar validates configs, reloads HAProxy and flips weights through its
// shared sockets, but HAProxy's process belongs to its own container: `start` means "wait until
// the haproxy container answers on the master socket", and `stop` leaves it alone.

export interface ExternalHaproxy extends HaproxyPort {
  /** Polls the master socket with back-off until it answers; throws after `limitMs` if given. */
  waitUntilRunning(limitMs?: number): Promise<void>;
}

export function externalHaproxy(
  inner: HaproxyPort,
  log: Logger,
  masterSocket: string,
  signal: AbortSignal,
  startWaitMs = 60_000,
): ExternalHaproxy {
  const waitUntilRunning = async (limitMs = Number.POSITIVE_INFINITY): Promise<void> => {
    const started = Date.now();
    const delays = backoff(250, 5_000);
    for (let attempt = 1; ; attempt++) {
      if (await inner.running()) {
        if (attempt > 1) log.info({ masterSocket, waitedMs: Date.now() - started }, 'HAProxy is reachable');
        return;
      }
      if (signal.aborted)
        throw new HaproxyRuntimeError('stopped while waiting for HAProxy', {
          fix: 'none needed: the sidecar is shutting down',
        });
      const waited = Date.now() - started;
      if (waited >= limitMs) {
        throw new HaproxyRuntimeError(
          `HAProxy did not answer on its master socket ${masterSocket} within ${Math.round(waited / 1000)} s`,
          {
            fix:
              'check the haproxy container (`docker compose ps haproxy`, `docker compose logs haproxy`) and ' +
              'that it shares the socket directory with the sidecar',
          },
        );
      }
      const delay = delays.next();
      log.warn(
        { masterSocket, attempt, retryInMs: delay },
        'HAProxy is not reachable yet (it runs in its own container); retrying',
      );
      await pause(delay, signal);
    }
  };
  // Every other method is the real adapter's (prototype delegation), whatever the port grows.
  return Object.assign(Object.create(inner) as HaproxyPort, {
    start: () => waitUntilRunning(startWaitMs),
    stop: async () => {
      log.info({ masterSocket }, 'HAProxy runs in its own container; leaving it running (stop it with docker compose)');
    },
    // HAProxy listens in its own container's network namespace, where the sidecar cannot probe
    // its binds: recovering from a failed reload is one verified reload of the restored config.
    recoverReload: () => inner.reload(),
    waitUntilRunning,
  });
}
