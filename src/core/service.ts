import { type Colour, otherColour } from './colour.js';
import { ConfigApplier } from './config-apply.js';
import { removeLeftovers } from './deploy.js';
import { NotBroughtUpError } from './errors.js';
import { type ExecutionReport, Executor } from './executor.js';
import { configuredPhases } from './hooks.js';
import { type Observed, planRollback, planUp, type Step } from './plan.js';
import type { Locker } from './ports.js';
import type { Runtime } from './runtime.js';
import type { State } from './state.js';
import { loadState, observe, resolveState } from './state-source.js';
import { withLock } from './with-lock.js';

// The verbs of linkswitch as the core sees them: observe → plan → execute, under the lock.
// The CLI (or the sidecar) calls exactly one of these per command.

export { deploy, deployRetiring, type StagedDeploy } from './deploy.js';
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
    const resolved = await resolveState(svc, { record: !dryRun });
    const { fresh, adopted, unverified } = resolved;
    let { state } = resolved;
    let observed = await observe(svc);
    // An interrupted deploy is resolved first: it decides which colour is linked, and so what
    // the rest of the plan converges on (a crash after the switch leaves the new colour linked).
    const recovered: Step[] = [];
    if (state.pending && !dryRun) {
      const recovery = new Executor(svc, state, observed);
      await recovery.run([{ kind: 'resolve-pending' }]);
      ({ state, observed } = recovery);
      recovered.push({ kind: 'resolve-pending' });
    }
    const plan = planUp({
      state,
      fresh,
      observed,
      haproxyRunning: await svc.haproxy.running(),
      configuredImage: svc.config.service.image,
      recheckHealth: unverified === true,
    });
    const result = await execute(svc, state, observed, plan, dryRun, started);
    if (!dryRun) await removeLeftovers(svc);
    const whole = recovered.length
      ? {
          ...result,
          plan: [...recovered, ...result.plan],
          report: result.report && {
            ...result.report,
            stepsRun: [...recovered.map((s) => s.kind), ...result.report.stepsRun],
          },
        }
      : result;
    return adopted ? { ...whole, adopted } : whole;
  });
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
      hooks: configuredPhases(svc.config.service.hooks),
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
  const rendered = await executor.renderFor(state.linked, { preview: !check });
  if (check) await new ConfigApplier(rt).validate(rendered);
  return { text: rendered.text, current: await rt.configFile.read(), linked: state.linked };
}

/**
 * Runs `haproxy -c` on the config a rollback would write, unless it was accepted before (the
 * check is remembered beside haproxy.cfg). The sidecar does this once it serves, so that its
 * first failover or rollback after a start is as fast as the next ones. Reads only; maps are
 * content-addressed, so writing them (ConfigApplier.validate) changes nothing HAProxy uses.
 */
export async function prevalidateRollback(rt: Runtime): Promise<void> {
  const { state, fresh } = await loadState(rt);
  if (fresh) return;
  const executor = new Executor(rt, state, await observe(rt));
  await new ConfigApplier(rt).validate(await executor.renderFor(otherColour(state.linked)));
}
