import { type Colour, otherColour } from './colour.js';
import { ConfigError, LinkswitchError, NotBroughtUpError } from './errors.js';
import { type ExecutionReport, Executor } from './executor.js';
import type { HookPhase } from './hooks.js';
import { type Observed, planDeploy, planRollback, planUp, type Step } from './plan.js';
import type { Locker } from './ports.js';
import type { Runtime } from './runtime.js';
import { safeImage } from './safe-values.js';
import type { State } from './state.js';
import { loadState, observe, resolveState } from './state-source.js';
import { withLock } from './with-lock.js';

// The verbs of linkswitch as the core sees them: observe → plan → execute, under the lock.
// The CLI (or the sidecar) calls exactly one of these per command.

export { down, downService } from './down.js';
export type { Locker } from './ports.js';
export { type ColourStatus, type StackStatusReport, type StatusReport, status } from './status.js';

export interface Service extends Runtime {
  locker: Locker;
}

export interface CommandResult {
  plan: Step[];
  report: ExecutionReport | null;
  state: State;
  durationMs: number;
  /** `up` without a usable state file: what it adopted from the running stack (one line). */
  adopted?: string;
}

async function execute(
  svc: Service,
  state: State,
  observed: Observed,
  plan: Step[],
  dryRun: boolean,
  started: number,
): Promise<CommandResult> {
  if (dryRun) return { plan, report: null, state, durationMs: svc.clock.monotonic() - started };
  const executor = new Executor(svc, state, observed);
  const report = await executor.run(plan);
  return { plan, report, state: executor.state, durationMs: svc.clock.monotonic() - started };
}

export async function up(svc: Service, { dryRun = false } = {}): Promise<CommandResult> {
  const started = svc.clock.monotonic();
  return withLock(svc, 'up', async () => {
    const { state, fresh, adopted, unverified } = await resolveState(svc, { record: !dryRun });
    const observed = await observe(svc);
    const plan = planUp({
      state,
      fresh,
      observed,
      haproxyRunning: await svc.haproxy.running(),
      configuredImage: svc.config.service.image,
      recheckHealth: unverified === true,
    });
    const result = await execute(svc, state, observed, plan, dryRun, started);
    return adopted ? { ...result, adopted } : result;
  });
}

export async function deploy(
  svc: Service,
  {
    image = svc.config.service.image,
    dryRun = false,
    canary = false,
    watchMs = svc.config.service.watch,
  }: { image?: string; dryRun?: boolean; canary?: boolean; watchMs?: number } = {},
): Promise<CommandResult> {
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
      hooks: configuredPhases(svc),
      keepWarm: svc.config.service.keepWarm,
      canary,
      watchMs,
      slowStartMs: svc.config.service.slowStart,
    });
    if (dryRun) return { plan, report: null, state, durationMs: svc.clock.monotonic() - started };
    const executor = new Executor(svc, state, observed);
    // A promote/abort left over from an earlier canary must not steer this one.
    if (canary) await svc.canaryControl?.clear();
    try {
      const report = await executor.run(plan);
      return { plan, report, state: executor.state, durationMs: svc.clock.monotonic() - started };
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
    if (executor.state.pending) await svc.store.write({ ...executor.state, pending: null });
  } catch (cleanupError) {
    svc.progress.warn('Cleanup after the failed deploy also failed', { error: String(cleanupError) });
  }
}

function configuredPhases(svc: Service): HookPhase[] {
  return Object.keys(svc.config.service.hooks) as HookPhase[];
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

export async function rollback(svc: Service, { dryRun = false } = {}): Promise<CommandResult> {
  const started = svc.clock.monotonic();
  return withLock(svc, 'rollback', async () => {
    const { state, fresh } = await loadState(svc);
    if (fresh)
      throw new NotBroughtUpError('no state file yet: nothing to roll back', {
        fix: 'run `linkswitch up` and `linkswitch deploy` first',
      });
    const [observed, servers] = await Promise.all([observe(svc), svc.haproxy.servers()]);
    const plan = planRollback({
      state,
      observed,
      servers,
      hooks: configuredPhases(svc),
      keepWarm: svc.config.service.keepWarm,
    });
    return execute(svc, state, observed, plan, dryRun, started);
  });
}

export interface RenderResult {
  text: string;
  current: string | null;
  linked: Colour;
}

/** What `up` would write now, without writing it (an adoptable stack is rendered as adopted). */
export async function renderCurrent(rt: Runtime, { check = false } = {}): Promise<RenderResult> {
  const { state } = await resolveState(rt, { record: false });
  const observed = await observe(rt);
  const executor = new Executor(rt, state, observed);
  const { text, maps } = await executor.renderFor(state.linked, { preview: !check });
  if (check) {
    await rt.configFile.writeMaps(maps);
    await rt.haproxy.validate(text);
  }
  return { text, current: await rt.configFile.read(), linked: state.linked };
}
