import { LinkswitchError } from './errors.js';
import type { Service } from './service.js';
import { loadState } from './state-source.js';

/** No `deploy --canary` is running for the service. */
export class NoCanaryError extends LinkswitchError {
  override readonly code = 'NO_CANARY';
  override readonly exitCode = 5;
}

/** Asks the running canary to promote or abort, and waits until it has taken the request. */
export async function requestCanaryAction(svc: Service, action: 'promote' | 'abort'): Promise<string> {
  const { state } = await loadState(svc);
  const canary = state.pending?.canary;
  if (!canary || !svc.canaryControl)
    throw new NoCanaryError(`no canary is running for ${svc.config.service.name}`, {
      fix: 'start one with `linkswitch deploy --canary`; `linkswitch status` shows a running one',
    });
  await svc.canaryControl.request(action);
  const deadline = svc.clock.monotonic() + 2 * svc.config.service.canary.poll + 5_000;
  while (svc.clock.monotonic() < deadline) {
    if (!(await svc.canaryControl.pending())) return `the canary of ${state.pending!.colour} took the request`;
    await svc.clock.sleep(50);
  }
  await svc.canaryControl.clear();
  throw new NoCanaryError(`the canary of ${svc.config.service.name} did not take the request`, {
    fix: 'its deploy may have ended or been killed; `linkswitch status` shows what is linked (`up` resolves an interrupted one)',
  });
}
