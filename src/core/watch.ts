import { judge, type ServerCounters, type WindowFigures, windowFigures, ZERO_COUNTERS } from './canary.js';
import type { Colour } from './colour.js';
import { WatchRollbackError } from './errors.js';
import type { Runtime } from './runtime.js';

// The watch window after a full switch: for a configured time the new colour's figures since
// the switch are compared, at every poll, with what the old colour did before the switch (its
// baseline), under the canary's thresholds. A regression sends the traffic back to the warm old
// colour at once (`rollBack`, the same moves as `linkswitch rollback`) and ends the deploy.

/** Each colour's counters from one `show stat` (zeros for a colour HAProxy does not list). */
export async function countersOf<C extends Colour>(rt: Runtime, ...colours: C[]): Promise<Record<C, ServerCounters>> {
  const servers = await rt.haproxy.servers();
  const of = (c: C) => servers.find((s) => s.colour === c)?.counters ?? ZERO_COUNTERS;
  return Object.fromEntries(colours.map((c) => [c, of(c)])) as Record<C, ServerCounters>;
}

export async function watchAfterSwitch(
  rt: Runtime,
  to: Colour,
  baseline: WindowFigures,
  durationMs: number,
  rollBack: () => Promise<void>,
): Promise<WindowFigures> {
  const settings = rt.config.service.canary;
  const start = (await countersOf(rt, to))[to];
  const began = rt.clock.monotonic();
  const until = new Date(rt.clock.now().getTime() + durationMs).toISOString();
  let figures = windowFigures(start, start);
  try {
    while (rt.clock.monotonic() - began < durationMs) {
      await rt.clock.sleep(settings.poll);
      figures = windowFigures(start, (await countersOf(rt, to))[to]);
      await rt.canaryControl?.publish({
        kind: 'watch',
        colour: to,
        percent: 100,
        until,
        fresh: figures,
        old: baseline,
        at: rt.clock.now().toISOString(),
      });
      await judgeOnce(rt, figures, baseline, began, durationMs, to, rollBack);
    }
  } finally {
    await rt.canaryControl?.publish(null);
  }
  return figures;
}

async function judgeOnce(
  rt: Runtime,
  figures: WindowFigures,
  baseline: WindowFigures,
  began: number,
  durationMs: number,
  to: Colour,
  rollBack: () => Promise<void>,
): Promise<void> {
  const verdict = judge(figures, baseline, rt.config.service.canary);
  if (verdict.kind === 'abort') {
    const seconds = ((rt.clock.monotonic() - began) / 1000).toFixed(1);
    await rollBack();
    const rolled = new WatchRollbackError(
      `rolled back ${seconds} s after the switch: ${verdict.figure} regressed: ${verdict.detail}`,
      {
        fix: `the previous colour serves again and is linked; the new one is stopped (docker logs ${rt.config.service.name}-${to})`,
      },
    );
    rolled.reason = verdict.figure;
    throw rolled;
  }
  const left = Math.max(0, Math.round((durationMs - (rt.clock.monotonic() - began)) / 1000));
  rt.progress.detail?.(
    `${left} s left: ${figures.attempts} requests, ${(figures.errorRate * 100).toFixed(1)}% errors, ${figures.rtimeMs} ms ` +
      `(before: ${(baseline.errorRate * 100).toFixed(1)}%, ${baseline.rtimeMs} ms)`,
  );
}
