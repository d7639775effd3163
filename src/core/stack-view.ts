import { type BackendContext, buildBackendContext } from './haproxy-context.js';
import type { Runtime } from './runtime.js';
import { observe, resolveState } from './state-source.js';

// Several services behind one HAProxy: another service's part of haproxy.cfg, as the running
// stack and its state file say it is. Read-only (an adopted state is shown, never recorded here):
// that service's own `up` is what records it.

export async function liveBackend(rt: Runtime): Promise<BackendContext> {
  const { state } = await resolveState(rt, { record: false });
  return buildBackendContext(rt.config, state.linked, await observe(rt), rt.layout);
}
