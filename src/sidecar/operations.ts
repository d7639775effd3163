import type { Logger } from 'pino';
import type { Lock } from '../adapters/lock-file.js';
import { fileLocker } from '../app/root.js';
import { HaproxyConfigError, messageOf, TemplateError } from '../core/errors.js';
import type { Progress } from '../core/ports.js';
import { teeProgress } from '../core/progress.js';
import {
  type CommandResult,
  deployRetiring,
  prevalidateRollback,
  rollback,
  type Service,
  up,
} from '../core/service.js';
import { SidecarError } from './errors.js';
import type { Metrics } from './metrics.js';
import { recordFailure, recordSuccess } from './outcomes.js';
import type { DeployRequest, ProgressSink, RollbackRequest } from './protocol.js';
import { RETIRED_REMOVAL_DELAY_MS, RetiredRemovals } from './retired-removals.js';

// The operations the sidecar runs through the core verbs: each under the CLI's own lock file,
// tracked while in flight (its last phase, for the shutdown log), counted in the metrics. On
// shutdown, `drain` lets them finish within a grace period and releases the locks they hold.

interface Operation {
  command: string;
  /** The last progress phase the core reported (mark-pending, wait-healthy, switch, …). */
  phase: string;
  startedAt: number;
  done: Promise<unknown>;
}

/** A failover waits this long for a deploy in flight; a reconcile waits up to the lock's TTL. */
export const FAILOVER_LOCK_WAIT_MS = 30_000;

export interface OperationsOptions {
  /** The service as configured now (a config reload replaces it). */
  service(): Service;
  metrics: Metrics;
  log: Logger;
  signal: AbortSignal;
  /** How long a deploy's retired container is left before its removal (tests shorten it). */
  retiredRemovalDelayMs?: number;
}

export class Operations {
  private readonly inFlight = new Set<Operation>();
  private readonly heldLocks = new Set<Lock>();
  /** The old idle containers deploys renamed out of the way, removed once the new colour is warm. */
  readonly retired: RetiredRemovals;

  constructor(private readonly options: OperationsOptions) {
    this.retired = new RetiredRemovals(options.retiredRemovalDelayMs ?? RETIRED_REMOVAL_DELAY_MS);
  }

  get size(): number {
    return this.inFlight.size;
  }

  /**
   * The service the core verbs run against for one operation: its phases tracked, its lock held
   * here, its progress also to the client following it (`sink`), if one does.
   */
  private serviceFor(op: Pick<Operation, 'phase'>, lockWaitMs: number, sink?: ProgressSink): Service {
    const base = this.options.service();
    const tracked: Progress = {
      ...base.progress,
      phase: (name, fields) => {
        op.phase = name;
        base.progress.phase(name, fields);
      },
    };
    return {
      ...base,
      progress: teeProgress(tracked, sink?.(base.config.service.name)),
      // The CLI's lock file: a CLI that does not delegate (`up`, `down`) waits or is refused
      // exactly as against another CLI.
      locker: fileLocker(base.config, {
        prefix: 'serve',
        waitMs: lockWaitMs,
        onAcquired: (lock) => this.heldLocks.add(lock),
        onReleased: (lock) => this.heldLocks.delete(lock),
      }),
    };
  }

  private async run<T>(
    command: string,
    lockWaitMs: number,
    fn: (svc: Service) => Promise<T>,
    sink?: ProgressSink,
  ): Promise<T> {
    if (this.options.signal.aborted) {
      throw new SidecarError('the sidecar is shutting down', { fix: 'retry once it is back (`docker compose ps`)' });
    }
    const op: Operation = { command, phase: 'waiting-for-lock', startedAt: Date.now(), done: Promise.resolve() };
    const done = this.retired.operationStarts(command).then(() => fn(this.serviceFor(op, lockWaitMs, sink)));
    op.done = done;
    this.inFlight.add(op);
    try {
      return await done;
    } finally {
      this.inFlight.delete(op);
      this.retired.operationEnds();
    }
  }

  async deploy(request: DeployRequest, sink?: ProgressSink): Promise<CommandResult> {
    try {
      const { result, removeRetired } = await this.run(
        'deploy',
        request.lockWaitMs ?? 0,
        (svc) =>
          deployRetiring(svc, {
            image: request.image,
            dryRun: request.dryRun,
            canary: request.canary,
            ...(request.watchMs === undefined ? {} : { watchMs: request.watchMs }),
          }),
        sink,
      );
      if (removeRetired) this.retired.schedule(removeRetired);
      if (!request.dryRun) this.recordSuccess('deploy', result);
      return result;
    } catch (error) {
      this.recordFailure('deploy', error);
      throw error;
    }
  }

  async rollback(request: RollbackRequest, trigger: 'api' | 'failover', sink?: ProgressSink): Promise<CommandResult> {
    const command = trigger === 'api' ? 'rollback' : 'failover';
    try {
      const lockWait = trigger === 'api' ? (request.lockWaitMs ?? 0) : FAILOVER_LOCK_WAIT_MS;
      const result = await this.run(command, lockWait, (svc) => rollback(svc, { dryRun: request.dryRun }), sink);
      if (!request.dryRun) {
        this.options.metrics.rolledBack(trigger);
        this.recordSuccess(command, result);
      }
      return result;
    } catch (error) {
      this.recordFailure(command, error);
      throw error;
    }
  }

  /**
   * Once the sidecar serves: the config a rollback would write, checked now unless it was before
   * (core's prevalidateRollback), so that the first failover after a start need not wait for
   * `haproxy -c` (60-90 ms). A config that fails is reported by the rollback's own check-config.
   */
  async prepareRollback(): Promise<void> {
    try {
      await prevalidateRollback(this.options.service());
    } catch (error) {
      this.options.log.debug({ error: messageOf(error) }, 'Rollback config not pre-validated');
    }
  }

  /** `up` under the lock (waiting up to its TTL): re-render, validate, write and reload only on change. */
  async reconcile(reason: string): Promise<boolean> {
    const { metrics, log } = this.options;
    try {
      const result = await this.run('reconcile', this.options.service().config.deploy.lockTtl, (svc) => up(svc));
      metrics.setLinked(result.state.linked);
      if (result.report?.configChanged) {
        metrics.reloaded('applied');
        log.info(
          { reason, steps: result.plan.map((s) => s.kind) },
          'haproxy.cfg changed: validated, written, HAProxy reloaded',
        );
      } else {
        log.info({ reason }, 'haproxy.cfg unchanged: no reload');
      }
      return true;
    } catch (error) {
      this.recordFailure('reconcile', error);
      if (error instanceof HaproxyConfigError || error instanceof TemplateError) {
        log.error({ reason }, 'Change refused: HAProxy keeps running the previous haproxy.cfg');
      }
      return false;
    }
  }

  private recordSuccess(command: string, result: CommandResult): void {
    recordSuccess(this.options, command, result);
  }

  recordFailure(command: string, error: unknown): void {
    recordFailure(this.options, command, error);
  }

  /**
   * Shutdown: lets the operations in flight finish within `graceMs`, else abandons them (safe at
   * any instant: state and haproxy.cfg are replaced atomically and a deploy in flight is recorded
   * as pending), then releases every lock held so that nobody waits for its expiry.
   */
  async drain(graceMs: number): Promise<void> {
    const { log } = this.options;
    if (this.inFlight.size > 0) {
      log.warn({ inFlight: this.describeInFlight(), graceMs }, 'Waiting for the operation in flight to finish');
      const all = Promise.allSettled([...this.inFlight].map((op) => op.done));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      const finished = await Promise.race([all.then(() => true), expired]);
      clearTimeout(timer);
      for (const op of finished ? [] : this.inFlight) {
        log.warn(
          { command: op.command, phase: op.phase, runningMs: Date.now() - op.startedAt },
          `Abandoning the in-flight ${op.command} at phase ${op.phase}: the state file records it; the next ` +
            `\`linkswitch serve\` or \`up\` resolves it`,
        );
      }
    }
    // Removed now rather than left to the next start's `up`: nothing serves from them any more.
    await this.retired.flush(graceMs);
    for (const lock of [...this.heldLocks]) await lock.release().catch(() => undefined);
    this.heldLocks.clear();
  }

  /** What the shutdown log lists. */
  describeInFlight(): Array<{ command: string; phase: string }> {
    return [...this.inFlight].map((op) => ({ command: op.command, phase: op.phase }));
  }
}
