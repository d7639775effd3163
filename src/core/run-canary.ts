import { judge, stepWeights, type Verdict, type WindowFigures, windowFigures } from './canary.js';
import type { Colour } from './colour.js';
import { CanaryAbortedError } from './errors.js';
import type { Runtime } from './runtime.js';
import type { State } from './state.js';
import { countersOf } from './watch.js';

// The canary step of a deploy: for each configured percentage, weights through the runtime API,
// then a poll loop that compares the new colour with the old one over the step so far. The old
// colour stays linked in the state file throughout (pending says which step runs), so a crash
// at any instant is an interrupted deploy that `up` resolves to the old colour. `promote` and
// `abort` (another process) are read at each poll.

/** A slow start's shares of traffic, each held for a quarter of the ramp. */
const RAMP_STEPS = [10, 25, 50, 75];

export interface CanaryOutcome {
  promoted: boolean;
  steps: Array<{ percent: number; fresh: WindowFigures; old: WindowFigures }>;
}

export async function runCanary(
  rt: Runtime,
  state: () => State,
  save: (next: State) => Promise<void>,
  from: Colour,
  to: Colour,
  rampMs: number | null = null,
): Promise<CanaryOutcome> {
  try {
    return await canarySteps(rt, state, save, from, to, rampMs);
  } finally {
    await rt.canaryControl?.publish(null);
  }
}

async function canarySteps(
  rt: Runtime,
  state: () => State,
  save: (next: State) => Promise<void>,
  from: Colour,
  to: Colour,
  /** A slow start: the same steps over `slowStart`, not judged (a cold app may start slow). */
  rampMs: number | null = null,
): Promise<CanaryOutcome> {
  const settings =
    rampMs === null
      ? rt.config.service.canary
      : { ...rt.config.service.canary, steps: RAMP_STEPS, dwell: Math.max(1, Math.round(rampMs / RAMP_STEPS.length)) };
  const counters = async () => {
    // Both colours from one `show stat` per poll.
    const both = await countersOf(rt, to, from);
    return { fresh: both[to], old: both[from] };
  };
  const outcome: CanaryOutcome = { promoted: false, steps: [] };
  for (const [index, percent] of settings.steps.entries()) {
    const weights = stepWeights(percent);
    await rt.haproxy.setWeights({ [to]: weights.fresh, [from]: weights.old });
    const current = state();
    if (current.pending)
      await save({
        ...current,
        pending: {
          ...current.pending,
          phase: 'canary',
          canary: { step: index + 1, of: settings.steps.length, percent, since: rt.clock.now().toISOString() },
        },
      });
    rt.progress.phase('canary-step', { percent, step: index + 1, of: settings.steps.length });
    const start = await counters();
    const began = rt.clock.monotonic();
    const stepStarted = rt.clock.now().getTime();
    let figures = { fresh: windowFigures(start.fresh, start.fresh), old: windowFigures(start.old, start.old) };
    // A step ends after its dwell once it has been judged on enough requests; with too little
    // traffic to judge it waits up to three dwells, then stops rather than pass unjudged.
    for (let judged = false; !judged || rt.clock.monotonic() - began < settings.dwell; ) {
      await rt.clock.sleep(settings.poll);
      const now = await counters();
      figures = { fresh: windowFigures(start.fresh, now.fresh), old: windowFigures(start.old, now.old) };
      let verdict: Verdict = rampMs === null ? judge(figures.fresh, figures.old, settings) : { kind: 'ok' };
      judged ||= verdict.kind === 'ok';
      if (verdict.kind === 'wait' && rt.clock.monotonic() - began >= 3 * settings.dwell)
        verdict = {
          kind: 'abort',
          figure: 'traffic',
          detail: `only ${figures.fresh.attempts} requests reached the new colour in ${Math.round((3 * settings.dwell) / 1000)} s (${settings.minRequests} needed to judge it)`,
        };
      const asked = await rt.canaryControl?.take();
      if (verdict.kind === 'abort' || asked === 'abort') {
        // Back to the old colour first, within this poll; the report comes after.
        await rt.haproxy.setWeights({ [from]: 100, [to]: 0 });
        const why =
          verdict.kind === 'abort' ? `${verdict.figure} regressed: ${verdict.detail}` : 'aborted by `linkswitch abort`';
        const aborted = new CanaryAbortedError(`canary of ${to} at ${percent}% stopped: ${why}`, {
          fix: `${from} serves everything again and stays linked; the new colour is stopped (docker logs ${rt.config.service.name}-${to})`,
        });
        aborted.reason = verdict.kind === 'abort' ? verdict.figure : 'manual';
        throw aborted;
      }
      if (asked === 'promote') {
        outcome.steps.push({ percent, ...figures });
        outcome.promoted = true;
        return outcome;
      }
      await rt.canaryControl?.publish({
        kind: 'canary',
        colour: to,
        percent,
        until: new Date(stepStarted + settings.dwell).toISOString(),
        ...figures,
        at: rt.clock.now().toISOString(),
      });
      rt.progress.detail?.(
        verdict.kind === 'wait'
          ? `${percent}%: ${verdict.reason}`
          : `${percent}%: ${figures.fresh.attempts} requests, ${(figures.fresh.errorRate * 100).toFixed(1)}% errors, ` +
              `${figures.fresh.rtimeMs} ms (old: ${(figures.old.errorRate * 100).toFixed(1)}%, ${figures.old.rtimeMs} ms)`,
      );
    }
    outcome.steps.push({ percent, ...figures });
  }
  return outcome;
}
