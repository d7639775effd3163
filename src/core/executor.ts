import type { ServerCounters, WindowFigures } from './canary.js';
import type { Colour } from './colour.js';
import { ConfigApplier, type Rendered } from './config-apply.js';
import { drainColour } from './drain.js';
import { assertNever } from './errors.js';
import { buildHaproxyContext, IDLE_WEIGHT, LINKED_WEIGHT } from './haproxy-context.js';
import { waitUntilHaproxySeesUp, waitUntilHealthy } from './health-check.js';
import type { HookResult } from './hooks.js';
import { expectedMembers } from './members.js';
import { containerNameFor } from './naming.js';
import type { Observed, Step } from './plan.js';
import { describeStep } from './plan.js';
import type { CanaryOutcome } from './run-canary.js';
import type { Runtime } from './runtime.js';
import { type State, withLinked } from './state.js';

// Runs a plan step by step against the ports. Each step is small and named after what it does;
// the executor keeps the latest observed containers and state so later steps see earlier ones.
// The steps few deploys have (canary, watch, hooks, an interrupted deploy's resolution) load
// their modules when they run, which keeps them out of the sidecar's memory until then.

export interface ExecutionReport {
  /** Milliseconds from the switch decision until the runtime API had flipped the weights. */
  switchMs: number | null;
  /** Whether haproxy.cfg changed (and HAProxy was reloaded if it was running). */
  configChanged: boolean;
  stepsRun: Step['kind'][];
  /** Every hook that ran, in order, with its exit code and output. */
  hooks: HookResult[];
  /** A canary's steps and the figures each was judged on. */
  canary?: CanaryOutcome;
}

export class Executor {
  readonly report: ExecutionReport = { switchMs: null, configChanged: false, stepsRun: [], hooks: [] };
  /** The old colour's counters when the deploy began: its baseline for a watch window. */
  private baselineStart: ServerCounters | null = null;
  private baseline: WindowFigures | null = null;
  /** Validates, writes and reloads haproxy.cfg (src/core/config-apply.ts). */
  private readonly configs: ConfigApplier;

  constructor(
    private readonly rt: Runtime,
    public state: State,
    public observed: Observed,
  ) {
    this.configs = new ConfigApplier(rt);
  }

  private plan: Step[] = [];

  async run(steps: Step[]): Promise<ExecutionReport> {
    this.plan = steps;
    // The config lock (several services) is held for each apply-config, and from a switch until
    // the apply-config that persists it: another service's reload in between would render this
    // service's recorded (pre-switch) colour and undo the switch in HAProxy.
    let held: { release(): Promise<void> } | null = null;
    try {
      for (const step of steps) {
        await this.rt.pause?.(`before-${step.kind}`);
        if (!held && (step.kind === 'switch' || step.kind === 'apply-config'))
          held = (await this.rt.configLock?.acquire(step.kind)) ?? null;
        this.rt.progress.phase(step.kind, { step: describeStep(step) });
        await this.exec(step);
        this.report.stepsRun.push(step.kind);
        if (held && step.kind === 'apply-config') {
          await held.release();
          held = null;
        }
        await this.rt.pause?.(`after-${step.kind}`);
      }
    } finally {
      await held?.release();
    }
    return this.report;
  }

  /** Renders haproxy.cfg (and its map files) for a linked colour from the latest observed containers. */
  async renderFor(linked: State['linked'], { preview = false } = {}): Promise<Rendered> {
    const [others, certificates] = await Promise.all([
      this.rt.otherBackends?.() ?? [],
      this.rt.certificates?.({ required: !preview }) ?? [],
    ]);
    const context = buildHaproxyContext(this.rt.config, linked, this.observed, this.rt.layout, others, certificates);
    return { text: await this.rt.render(context), maps: context.maps };
  }

  private async saveState(next: State): Promise<void> {
    await this.rt.store.write(next);
    this.state = next;
  }

  private async exec(step: Step): Promise<void> {
    const { docker, haproxy, clock, config } = this.rt;
    switch (step.kind) {
      case 'mark-pending':
        if (this.plan.some((s) => s.kind === 'watch')) {
          const linked = this.state.linked;
          this.baselineStart = (await (await import('./watch.js')).countersOf(this.rt, linked))[linked];
        }
        await this.saveState({
          ...this.state,
          pending: { colour: step.colour, image: step.image, startedAt: clock.now().toISOString(), phase: 'deploying' },
        });
        return;
      case 'remove-container':
        await docker.remove(step.colour);
        this.observed[step.colour] = null;
        return;
      case 'retire-container':
        await (docker.retire ? docker.retire(step.colour) : docker.remove(step.colour));
        this.observed[step.colour] = null;
        return;
      case 'remove-retired':
        await docker.removeRetired?.(step.colour);
        return;
      case 'run-container': {
        // Labelled with the generation it has once linked: today's for `up`, the next for a deploy.
        const generation = this.state.generation + (step.colour === this.state.linked ? 0 : 1);
        this.observed[step.colour] = await docker.run(step.colour, step.image, { generation });
        return;
      }
      case 'start-container':
        this.observed[step.colour] = await docker.start(step.colour);
        return;
      case 'wait-healthy': {
        // The app's start-up is mostly waiting: validate the configs the next steps will write
        // meanwhile, so `haproxy -c` is off the critical path of the deploy.
        const prevalidation = this.configs.prevalidate((colour) => this.renderFor(colour));
        this.observed[step.colour] = await waitUntilHealthy(
          { config, docker, probe: this.rt.probe, clock, progress: this.rt.progress },
          step.colour,
        );
        await prevalidation;
        return;
      }
      case 'apply-config': {
        await this.configs.apply(await this.renderFor(step.linked), {
          ...(step.fresh ? { fresh: step.fresh } : {}),
          freshCounters: step.freshCounters === true,
          switched: this.report.stepsRun.includes('switch'),
          onWritten: () => {
            this.report.configChanged = true;
          },
        });
        return;
      }
      case 'check-config':
        await this.configs.validate(await this.renderFor(step.linked));
        return;
      case 'start-haproxy':
        if (!(await haproxy.running())) await haproxy.start();
        return;
      case 'wait-haproxy-up':
        // The tasks seen healthy by wait-healthy, just before: no second Docker round trip.
        await waitUntilHaproxySeesUp(
          haproxy,
          clock,
          step.colour,
          config.health.timeout,
          expectedMembers(this.observed[step.colour]),
          this.rt.progress,
        );
        return;
      case 'switch': {
        if (this.baselineStart) {
          const [{ windowFigures }, { countersOf }] = await Promise.all([import('./canary.js'), import('./watch.js')]);
          this.baseline = windowFigures(this.baselineStart, (await countersOf(this.rt, step.from))[step.from]);
        }
        const started = clock.monotonic();
        await haproxy.setWeights({ [step.to]: LINKED_WEIGHT, [step.from]: IDLE_WEIGHT });
        this.report.switchMs = clock.monotonic() - started;
        this.rt.progress.phase('switched', {
          from: step.from,
          to: step.to,
          switchMs: Number(this.report.switchMs.toFixed(2)),
        });
        return;
      }
      case 'record-state': {
        const now = clock.now();
        const colours = { ...this.state.colours };
        if (step.image)
          colours[step.linked] = {
            image: step.image,
            container: containerNameFor(config, step.linked),
            deployedAt: now.toISOString(),
          };
        const base = step.switched ? withLinked(this.state, step.linked, now) : { ...this.state, linked: step.linked };
        await this.saveState({ ...base, colours, pending: null });
        return;
      }
      case 'resolve-pending': {
        const { resolvePending } = await import('./resolve-pending.js');
        const resolved = await resolvePending(this.rt, this.state, this.observed);
        this.observed = resolved.observed;
        await this.saveState(resolved.state);
        return;
      }
      case 'drain':
        await drainColour(this.rt, step.colour, { close: step.close === true });
        return;
      case 'watch': {
        const [{ windowFigures, ZERO_COUNTERS }, { watchAfterSwitch }] = await Promise.all([
          import('./canary.js'),
          import('./watch.js'),
        ]);
        const baseline = this.baseline ?? windowFigures(ZERO_COUNTERS, ZERO_COUNTERS);
        await watchAfterSwitch(this.rt, step.to, baseline, step.durationMs, () => this.rollBackNow(step.from, step.to));
        return;
      }
      case 'canary': {
        const { runCanary } = await import('./run-canary.js');
        const outcome = await runCanary(
          this.rt,
          () => this.state,
          (next) => this.saveState(next),
          step.from,
          step.to,
          step.rampMs ?? null,
        );
        if (!step.rampMs) this.report.canary = outcome;
        return;
      }
      case 'stop-container':
        await docker.stop(step.colour);
        this.observed[step.colour] = await docker.inspect(step.colour);
        return;
      case 'hook': {
        const container = this.observed[step.colour];
        const address = container?.probeAddress ?? container?.address ?? null;
        const { runHooks } = await import('./run-hooks.js');
        await runHooks(
          this.rt,
          step.phase,
          {
            colour: step.colour,
            image: step.image,
            generation: this.state.generation + (step.colour === this.state.linked ? 0 : 1),
            linked: this.state.linked,
            address: address ? `${address.host}:${address.port}` : null,
          },
          this.report.hooks,
        );
        return;
      }
      default:
        // A step kind added to plan.ts without a case here is a compile error, not a silent no-op.
        return assertNever(step);
    }
  }

  /** A watch window's rollback: weights first, then the state, the config and a drain. */
  private async rollBackNow(from: Colour, to: Colour): Promise<void> {
    await this.rt.haproxy.setWeights({ [from]: LINKED_WEIGHT, [to]: IDLE_WEIGHT });
    this.rt.progress.phase('switched', { from: to, to: from, rollback: true });
    await this.saveState(withLinked(this.state, from, this.rt.clock.now()));
    const held = (await this.rt.configLock?.acquire('apply-config')) ?? null;
    try {
      await this.exec({ kind: 'apply-config', linked: from });
    } finally {
      await held?.release();
    }
    await drainColour(this.rt, to);
    await this.rt.docker.stop(to);
    this.observed[to] = await this.rt.docker.inspect(to);
  }
}
