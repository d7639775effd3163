import type { Logger } from 'pino';

// Test-only pause points. With LINKSWITCH_PAUSE_AT=<point> (e.g. "after-run-container",
// "config-written#2" for the second occurrence) the controller logs "Paused" and waits until it
// gets SIGUSR2 (or is killed), so a fault test can act at an exact phase instead of sleeping.

export const PAUSE_ENV = 'LINKSWITCH_PAUSE_AT';

export function pauseFromEnv(env: NodeJS.ProcessEnv, log: Logger): ((point: string) => Promise<void>) | undefined {
  const target = env[PAUSE_ENV];
  if (!target) return undefined;
  const seen = new Map<string, number>();
  return async (point) => {
    const count = (seen.get(point) ?? 0) + 1;
    seen.set(point, count);
    if (target !== point && target !== `${point}#${count}`) return;
    log.warn({ pausePoint: point }, 'Paused at test pause point');
    await new Promise<void>((resolve) => {
      // The interval keeps the event loop alive while nothing else is pending.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      process.once('SIGUSR2', () => {
        clearInterval(keepAlive);
        log.warn({ pausePoint: point }, 'Resumed from test pause point');
        resolve();
      });
    });
  };
}
