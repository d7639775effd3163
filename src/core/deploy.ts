import { COLOURS, type Colour, otherColour } from './colour.js';
import { ConfigError, LinkswitchError, NotBroughtUpError } from './errors.js';
import { Executor } from './executor.js';
import { configuredPhases } from './hooks.js';
import { type Observed, planDeploy, type Step } from './plan.js';
import { safeImage } from './safe-values.js';
import type { CommandResult, Service } from './service.js';
import type { State } from './state.js';
import { loadState, observe } from './state-source.js';
import { withLock } from './with-lock.js';

// `linkswitch deploy`: the idle colour afresh, gated twice on health, then the switch. The old
// idle container is in the way of the new one. The CLI removes it before the create, on the
// path to the switch. The sidecar, which outlives the deploy, renames it out of the way instead
// (DockerPort.retire) and removes it once it has been idle for a while
// (sidecar/retired-removals.ts). Removing it right after the switch was measured: one
// saturating-load deploy in six then got 1,526 HTTP 5xx answers a few hundred ms after the
// switch, most likely the freshly switched colour failing HAProxy's checks while it shared the
// CPU with Docker's kill and delete; the old colour carried the same removal before the create
// in every run without a failure.

export interface DeployOptions {
  image?: string;
  dryRun?: boolean;
  canary?: boolean;
  watchMs?: number;
}

/** A deploy's result, and the removal of the container it renamed out of the way (if any). */
export interface StagedDeploy {
  result: CommandResult;
  /**
   * Removes the retired container; never rejects (a failure is a warning: the next `up`, the
   * colour's next deploy or `down` removes it). Null when nothing was retired.
   */
  removeRetired: (() => Promise<void>) | null;
}

/** The deploy as the CLI runs it: the old idle container removed before the create. */
export async function deploy(svc: Service, options: DeployOptions = {}): Promise<CommandResult> {
  return (await deployLocked(svc, options, false)).result;
}

/** The deploy as the sidecar runs it: resolved at once, the retired container left to `removeRetired`. */
export async function deployRetiring(svc: Service, options: DeployOptions = {}): Promise<StagedDeploy> {
  const { result, removal, observed } = await deployLocked(svc, options, typeof svc.docker.retire === 'function');
  return {
    result,
    removeRetired: removal ? () => removeRetired(svc, result.state, observed, removal) : null,
  };
}

async function removeRetired(svc: Service, state: State, observed: Observed, removal: Step): Promise<void> {
  try {
    await new Executor(svc, state, observed).run([removal]);
  } catch (error) {
    svc.progress.warn(
      "Removing the old container failed; the next `up`, that colour's next deploy or `down` removes it",
      {
        error: String(error),
      },
    );
  }
}

/** What an interrupted deploy renamed out of the way belongs to no colour: `up` removes it. */
export async function removeLeftovers(svc: Service): Promise<void> {
  try {
    await Promise.all(COLOURS.map((colour) => svc.docker.removeRetired?.(colour)));
  } catch (error) {
    svc.progress.warn('Removing a container an interrupted deploy left behind failed; `down` removes it', {
      error: String(error),
    });
  }
}

async function deployLocked(
  svc: Service,
  {
    image = svc.config.service.image,
    dryRun = false,
    canary = false,
    watchMs = svc.config.service.watch,
  }: DeployOptions,
  retire: boolean,
): Promise<{ result: CommandResult; removal: Step | null; observed: Observed }> {
  const started = svc.clock.monotonic();
  safeImage(image);
  if ((canary || watchMs > 0 || svc.config.service.slowStart > 0) && svc.docker.updatesInPlace)
    throw new ConfigError(
      'deploy --canary, watch windows and slowStart are not available with engine.kind "swarm" yet',
      {
        fix: 'deploy without --canary or --watch (and without `watch:` or `slowStart:`), or use engine.kind container',
      },
    );
  return withLock(svc, 'deploy', async () => {
    const loaded = await loadState(svc);
    const haproxyRunning = await svc.haproxy.running();
    if (loaded.fresh || !haproxyRunning) {
      throw new NotBroughtUpError(
        loaded.fresh ? 'no state file yet: the stack was never brought up' : 'HAProxy is not running',
        {
          fix: 'run `linkswitch up` first',
        },
      );
    }
    let state = loaded.state;
    let observed = await observe(svc);
    if (state.pending) {
      // Finish the bookkeeping of an interrupted deploy before starting a new one.
      const recovery = new Executor(svc, state, observed);
      await recovery.run([{ kind: 'resolve-pending' }]);
      state = recovery.state;
      observed = recovery.observed;
    }
    const plan = planDeploy({
      state,
      observed,
      image,
      haproxyRunning,
      inPlace: svc.docker.updatesInPlace === true,
      hooks: configuredPhases(svc.config.service.hooks),
      keepWarm: svc.config.service.keepWarm,
      canary,
      watchMs,
      slowStartMs: svc.config.service.slowStart,
      retire,
    });
    if (dryRun)
      return {
        result: { plan, report: null, state, durationMs: svc.clock.monotonic() - started },
        removal: null,
        observed,
      };
    const removal = plan.at(-1)?.kind === 'remove-retired' ? (plan.at(-1) as Step) : null;
    const executor = new Executor(svc, state, observed);
    // A promote/abort left over from an earlier canary must not steer this one.
    if (canary) await svc.canaryControl?.clear();
    try {
      const report = await executor.run(removal ? plan.slice(0, -1) : plan);
      const result = { plan, report, state: executor.state, durationMs: svc.clock.monotonic() - started };
      return { result, removal, observed: executor.observed };
    } catch (error) {
      await abandonDeploy(svc, executor, otherColour(state.linked), error);
      await onFailureHooks(svc, executor, otherColour(state.linked), image, error);
      throw error;
    }
  });
}

/**
 * A deploy that failed before the switch leaves the linked colour serving: stop the new colour
 * (kept for `docker logs`) and clear `pending`. After the switch the state already names the new
 * colour, so there is nothing to undo.
 */
async function abandonDeploy(svc: Service, executor: Executor, target: Colour, error: unknown): Promise<void> {
  if (executor.report.stepsRun.includes('switch')) return;
  svc.progress.warn('Deploy aborted; the linked colour keeps serving', {
    linked: executor.state.linked,
    reason: error instanceof LinkswitchError ? error.code : 'unexpected',
  });
  try {
    // Staged at weight 0 already? Keep HAProxy's view consistent with the stopped container.
    if (executor.report.stepsRun.includes('run-container')) await svc.docker.stop(target);
    // The old idle container, renamed out of the way: it has no place in the stack any more.
    if (executor.report.stepsRun.includes('retire-container')) await svc.docker.removeRetired?.(target);
    if (executor.state.pending) await svc.store.write({ ...executor.state, pending: null });
  } catch (cleanupError) {
    svc.progress.warn('Cleanup after the failed deploy also failed', { error: String(cleanupError) });
  }
}

/** on-failure hooks (a page, a chat message): told what failed; their own failure is only reported. */
async function onFailureHooks(svc: Service, executor: Executor, colour: Colour, image: string, error: unknown) {
  try {
    const { runHooks } = await import('./run-hooks.js');
    await runHooks(
      svc,
      'on-failure',
      {
        colour,
        image,
        generation: executor.state.generation + 1,
        linked: executor.state.linked,
        address: null,
        error: error instanceof LinkswitchError ? error.shortMessage : String(error),
      },
      executor.report.hooks,
    );
  } catch (hookError) {
    svc.progress.warn('on-failure hook could not run', { error: String(hookError) });
  }
}
