import { drainColour } from './drain.js';
import { IDLE_WEIGHT, LINKED_WEIGHT } from './haproxy-context.js';
import type { Observed } from './plan.js';
import type { Runtime } from './runtime.js';
import { type State, withLinked } from './state.js';

/**
 * An interrupted deploy left `pending`. HAProxy is the authority on what serves: if the
 * pending colour already has the traffic (crash after the switch), record it; otherwise the
 * switch never happened and the recorded colour stays linked. Returns the state to save.
 */
export async function resolvePending(
  rt: Runtime,
  state: State,
  observed: Observed,
): Promise<{ state: State; observed: Observed }> {
  const pending = state.pending;
  if (!pending) return { state, observed };
  const servers = await rt.haproxy.servers().catch(() => []);
  const serving = servers.filter((s) => s.weight > 0).map((s) => s.colour);
  const container = observed[pending.colour];
  if (serving.length === 1 && serving[0] === pending.colour && container?.running) {
    rt.progress.warn('Interrupted deploy had already switched; recording it', { colour: pending.colour });
    const now = rt.clock.now();
    const colours = {
      ...state.colours,
      [pending.colour]: { image: pending.image, container: container.name, deployedAt: now.toISOString() },
    };
    return { state: { ...withLinked(state, pending.colour, now), colours, pending: null }, observed };
  }
  rt.progress.warn('Interrupted deploy had not switched; keeping the recorded colour', {
    linked: state.linked,
    pending: pending.colour,
  });
  const next = { ...observed };
  if (serving.includes(pending.colour) && pending.colour !== state.linked) {
    // Interrupted mid-canary: the pending colour still has a share. Weights first (nothing is
    // lost), a drain, then the container can stop.
    await rt.haproxy.setWeights({ [state.linked]: LINKED_WEIGHT, [pending.colour]: IDLE_WEIGHT });
    await drainColour(rt, pending.colour);
  }
  if (container && pending.colour !== state.linked && container.running) {
    // A half-deployed colour is not a trustworthy rollback target: stop it.
    await rt.docker.stop(pending.colour);
    next[pending.colour] = await rt.docker.inspect(pending.colour);
  }
  return { state: { ...state, pending: null }, observed: next };
}
