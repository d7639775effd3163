import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type ColourEvent, DockerEngine } from '../adapters/docker.js';
import { Lock } from '../adapters/lock-file.js';
import { type CliContext, createContext, type GlobalOptions, lockFileFor } from '../cli/context.js';
import {
  HaproxyConfigError,
  HaproxyRuntimeError,
  LinkswitchError,
  messageOf,
  NotWarmError,
  TemplateError,
} from '../core/errors.js';
import { type CommandResult, deploy, rollback, type Service, status, up } from '../core/service.js';
import { backoff, pause } from './backoff.js';
import { type ControlApi, startControlApi } from './control-api.js';
import { SidecarError } from './errors.js';
import { type ExternalHaproxy, externalHaproxy } from './external-haproxy.js';
import { Metrics } from './metrics.js';
import { controlSocketPath, type DeployRequest, type HealthReport, type RollbackRequest } from './protocol.js';
import { clearOwnStaleLock } from './stale-lock.js';
import { type InputKind, type InputWatcher, watchInputs } from './watch-inputs.js';

// `linkswitch serve`: the long-running mode beside HAProxy. It reuses the core verbs (up,
// deploy, rollback, status) and the same lock file as the CLI, so the sidecar and any CLI never
// change the stack at the same time; what it adds is when to run them: at start, when the
// templates or the config change, when the linked colour fails, and when asked over the API.

export interface ServeOptions {
  global: GlobalOptions;
  listen: { host: string; port: number } | null;
  token: string | null;
  /** Switch to the warm colour when the linked one dies or turns unhealthy (else only log). */
  failover: boolean;
  watch: boolean;
  /** On SIGTERM, how long an operation in flight may take to finish before it is abandoned. */
  shutdownGraceMs: number;
}

type Phase = 'starting' | 'waiting-for-haproxy' | 'reconciling' | 'serving' | 'stopping';

interface Operation {
  command: string;
  /** The last progress phase the core reported (mark-pending, wait-healthy, switch, …). */
  phase: string;
  startedAt: number;
  done?: Promise<unknown>;
}

/** A failover waits this long for a deploy in flight; a reconcile waits up to the lock's TTL. */
const FAILOVER_LOCK_WAIT_MS = 30_000;

export class Sidecar {
  private ctx: CliContext;
  private haproxy: ExternalHaproxy;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Operation>();
  private readonly heldLocks = new Set<Lock>();
  private phase: Phase = 'starting';
  private api: ControlApi | null = null;
  private watcher: InputWatcher | null = null;
  private stopEvents: (() => void) | null = null;
  private reconciling: Promise<boolean> | null = null;
  private reconcileAgain: { reason: string; kinds: Set<InputKind> } | null = null;
  private stopped!: () => void;
  private readonly finished = new Promise<void>((resolve) => (this.stopped = resolve));

  private constructor(
    private readonly options: ServeOptions,
    ctx: CliContext,
  ) {
    this.ctx = ctx;
    this.log = ctx.log;
    this.metrics = new Metrics(ctx.config.service.name);
    this.haproxy = this.externalHaproxy(ctx);
  }

  /** Starts the sidecar and resolves when it has shut down (SIGTERM, SIGINT). */
  static async run(options: ServeOptions): Promise<void> {
    const sidecar = new Sidecar(options, await createContext(options.global));
    await sidecar.start();
    await sidecar.finished;
  }

  private get config() {
    return this.ctx.config;
  }

  private externalHaproxy(ctx: CliContext): ExternalHaproxy {
    return externalHaproxy(ctx.service.haproxy, this.log, ctx.config.haproxy.masterSocket, this.abort.signal);
  }

  private async start(): Promise<void> {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void this.shutdown(signal));
    const { config } = this;
    this.log.info(
      { service: config.service.name, config: config.file, failover: this.options.failover, watch: this.options.watch },
      'Sidecar starting',
    );
    await clearOwnStaleLock(lockFileFor(config), this.log);
    this.api = await startControlApi({
      socketPath: controlSocketPath(config),
      listen: this.options.listen,
      token: this.options.token,
      log: this.log,
      handlers: {
        health: () => this.health(),
        status: () => status(this.ctx.service),
        deploy: (request) => this.deploy(request),
        rollback: (request) => this.rollback(request, 'api'),
        metrics: () => this.metrics.render(),
      },
    });
    if (this.options.watch) {
      this.watcher = watchInputs({
        templateDir: config.haproxy.templateDir,
        configFile: config.file,
        onChange: (kinds, files) =>
          void this.reconcile(`changed: ${files.map((f) => path.basename(f)).join(', ')}`, kinds),
        onError: (error) => this.log.warn({ error: messageOf(error) }, 'File watcher error'),
      });
      this.log.info(
        { templateDir: config.haproxy.templateDir, config: config.file },
        'Watching the templates and the config file',
      );
    }
    void this.followDockerEvents();
    await this.startupReconcile();
  }

  private health(): HealthReport {
    // haproxy.cfg must exist before the haproxy container can start (it depends on this check).
    return { ok: this.phase !== 'stopping' && existsSync(this.config.haproxy.configFile), phase: this.phase };
  }

  /**
   * Like `up`, retried with back-off until it succeeds: a missing HAProxy, Docker hiccup or
   * broken template at start must not crash-loop the sidecar. With a haproxy.cfg already on
   * disk HAProxy can (re)start on its own, so wait for it first: an interrupted deploy is then
   * resolved from HAProxy's actual view rather than from an empty one.
   */
  private async startupReconcile(): Promise<void> {
    const delays = backoff(1000, 30_000);
    while (!this.abort.signal.aborted) {
      try {
        if (existsSync(this.config.haproxy.configFile)) {
          this.phase = 'waiting-for-haproxy';
          await this.haproxy.waitUntilRunning();
        }
        this.phase = 'reconciling';
        if (await this.reconcile('start')) {
          this.phase = 'serving';
          this.log.info({ linked: (await this.ctx.service.store.read())?.linked }, 'Sidecar serving');
          return;
        }
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logError('start', error);
      }
      const delay = delays.next();
      this.log.warn({ retryInMs: delay }, 'Start-up reconcile did not complete; retrying');
      await pause(delay, this.abort.signal);
    }
  }

  /** The service the core verbs run against, for one operation. */
  private serviceFor(op: Operation, lockWaitMs: number): Service {
    const base = this.ctx.service;
    const { config } = this;
    return {
      ...base,
      haproxy: this.haproxy,
      progress: {
        phase: (name, fields) => {
          op.phase = name;
          base.progress.phase(name, fields);
        },
        warn: (message, fields) => base.progress.warn(message, fields),
      },
      // The CLI's lock file: a CLI that does not delegate (an older one, `up`, `down`) waits or
      // is refused exactly as against another CLI.
      locker: {
        acquire: async (command) => {
          const lock = await Lock.acquire({
            file: lockFileFor(config),
            ttlMs: config.deploy.lockTtl,
            command: `serve ${command}`,
            clock: base.clock,
            waitMs: lockWaitMs,
          });
          this.heldLocks.add(lock);
          return {
            release: async () => {
              this.heldLocks.delete(lock);
              await lock.release();
            },
          };
        },
      },
    };
  }

  private async operation<T>(command: string, lockWaitMs: number, fn: (svc: Service) => Promise<T>): Promise<T> {
    if (this.abort.signal.aborted)
      throw new SidecarError('the sidecar is shutting down', { fix: 'retry once it is back (`docker compose ps`)' });
    const op: Operation = { command, phase: 'waiting-for-lock', startedAt: Date.now() };
    const done = fn(this.serviceFor(op, lockWaitMs));
    op.done = done;
    this.inFlight.add(op);
    try {
      return await done;
    } finally {
      this.inFlight.delete(op);
    }
  }

  private async deploy(request: DeployRequest): Promise<CommandResult> {
    try {
      const result = await this.operation('deploy', request.lockWaitMs ?? 0, (svc) =>
        deploy(svc, { image: request.image, dryRun: request.dryRun }),
      );
      if (!request.dryRun) this.recordSuccess('deploy', result);
      return result;
    } catch (error) {
      this.recordFailure('deploy', error);
      throw error;
    }
  }

  private async rollback(request: RollbackRequest, trigger: 'api' | 'failover'): Promise<CommandResult> {
    const command = trigger === 'api' ? 'rollback' : 'failover';
    try {
      const lockWait = trigger === 'api' ? (request.lockWaitMs ?? 0) : FAILOVER_LOCK_WAIT_MS;
      const result = await this.operation(command, lockWait, (svc) => rollback(svc, { dryRun: request.dryRun }));
      if (!request.dryRun) {
        this.metrics.rolledBack(trigger);
        this.recordSuccess(command, result);
      }
      return result;
    } catch (error) {
      this.recordFailure(command, error);
      throw error;
    }
  }

  private recordSuccess(command: string, result: CommandResult): void {
    if (command === 'deploy') this.metrics.deployed();
    if (result.report?.switchMs != null) this.metrics.switched(result.report.switchMs);
    if (result.report?.configChanged) this.metrics.reloaded('applied');
    this.metrics.setLinked(result.state.linked);
    this.log.info(
      {
        command,
        linked: result.state.linked,
        generation: result.state.generation,
        image: result.state.colours[result.state.linked]?.image,
        switchMs: result.report?.switchMs,
        durationMs: Math.round(result.durationMs),
      },
      `${command} finished`,
    );
  }

  private recordFailure(command: string, error: unknown): void {
    this.metrics.failed(command, error instanceof LinkswitchError ? error.code : 'UNEXPECTED');
    if (error instanceof HaproxyConfigError || error instanceof TemplateError) this.metrics.reloaded('rejected');
    else if (error instanceof HaproxyRuntimeError && /reload/i.test(error.message)) this.metrics.reloaded('failed');
    this.logError(command, error);
  }

  private logError(command: string, error: unknown): void {
    if (error instanceof LinkswitchError)
      this.log.error({ command, code: error.code, fix: error.fix, detail: error.detail }, error.message);
    else this.log.error({ command, error: messageOf(error) }, 'Unexpected error');
  }

  /**
   * Re-renders and applies haproxy.cfg through `up`: validated with `haproxy -c`, written and
   * reloaded only when it differs. Requests that arrive while one runs are folded into one
   * more run. Resolves whether the (last) run succeeded.
   */
  private reconcile(reason: string, kinds: Set<InputKind> = new Set()): Promise<boolean> {
    if (this.reconciling) {
      const merged = new Set([...(this.reconcileAgain?.kinds ?? []), ...kinds]);
      this.reconcileAgain = { reason, kinds: merged };
      return this.reconciling;
    }
    this.reconciling = (async () => {
      let ok = await this.reconcileOnce(reason, kinds);
      while (this.reconcileAgain && !this.abort.signal.aborted) {
        const next = this.reconcileAgain;
        this.reconcileAgain = null;
        ok = await this.reconcileOnce(next.reason, next.kinds);
      }
      return ok;
    })().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(reason: string, kinds: Set<InputKind>): Promise<boolean> {
    if (kinds.has('config')) {
      try {
        const next = await createContext(this.options.global);
        if (
          next.config.service.name !== this.config.service.name ||
          next.config.state.file !== this.config.state.file
        ) {
          this.log.error(
            { reason },
            'service.name or state.file changed: restart the sidecar to switch services; keeping the running config',
          );
          return false;
        }
        this.ctx = next;
        this.haproxy = this.externalHaproxy(next);
        this.log.info({ reason }, 'Config file reloaded');
      } catch (error) {
        this.metrics.reloaded('rejected');
        this.logError('reload-config', error);
        this.log.error({ reason }, 'Config file refused; the previous config stays in force');
        return false;
      }
    }
    try {
      const result = await this.operation('reconcile', this.config.deploy.lockTtl, (svc) => up(svc));
      this.metrics.setLinked(result.state.linked);
      if (result.report?.configChanged) {
        this.metrics.reloaded('applied');
        this.log.info(
          { reason, steps: result.plan.map((s) => s.kind) },
          'haproxy.cfg changed: validated, written, HAProxy reloaded',
        );
      } else {
        this.log.info({ reason }, 'haproxy.cfg unchanged: no reload');
      }
      return true;
    } catch (error) {
      this.recordFailure('reconcile', error);
      if (error instanceof HaproxyConfigError || error instanceof TemplateError) {
        this.log.error({ reason }, 'Change refused: HAProxy keeps running the previous haproxy.cfg');
      }
      return false;
    }
  }

  /** Follows Docker's events for the colour containers, reconnecting with back-off. */
  private async followDockerEvents(): Promise<void> {
    const delays = backoff(500, 30_000);
    let connectedBefore = false;
    while (!this.abort.signal.aborted) {
      const engine = this.ctx.service.docker;
      if (!(engine instanceof DockerEngine)) return;
      try {
        let ended!: (error?: unknown) => void;
        const end = new Promise<unknown>((resolve) => (ended = resolve));
        this.stopEvents = await engine.watchEvents((event) => this.onColourEvent(event), ended);
        delays.reset();
        this.log.info('Following Docker events of the colour containers');
        // Events missed while disconnected: look at the linked colour directly.
        if (connectedBefore) void this.checkLinkedIsRunning();
        connectedBefore = true;
        const error = await end;
        if (this.abort.signal.aborted) return;
        this.log.warn({ error: error ? messageOf(error) : 'stream closed' }, 'Docker event stream ended; reconnecting');
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.log.warn({ error: messageOf(error) }, 'Cannot follow Docker events; retrying');
      }
      await pause(delays.next(), this.abort.signal);
    }
  }

  private async checkLinkedIsRunning(): Promise<void> {
    const state = await this.ctx.service.store.read().catch(() => null);
    if (!state || this.phase !== 'serving') return;
    const container = await this.ctx.service.docker.inspect(state.linked).catch(() => null);
    if (container && !container.running)
      await this.onLinkedFailure({
        colour: state.linked,
        container: container.name,
        action: 'die',
        exitCode: container.exitCode,
      });
  }

  private onColourEvent(event: ColourEvent): void {
    this.log.debug({ event }, 'Docker event');
    // A container started behind our back (restart policy, `docker start`) may have a new IP:
    // re-render, and reload if the config changed. Starts by our own deploy are its business, and
    // a reconcile queued behind it would hold the lock just when the next command arrives.
    if (event.action === 'start' && this.phase === 'serving' && this.inFlight.size === 0)
      void this.reconcile(`${event.container} started`);
    if (event.action !== 'die' && event.action !== 'unhealthy') return;
    void this.onLinkedFailure(event).catch((error) => this.logError('failover', error));
  }

  /** The linked colour died or turned unhealthy: say so loudly, and fail over if allowed and possible. */
  private async onLinkedFailure(event: ColourEvent): Promise<void> {
    const state = await this.ctx.service.store.read().catch(() => null);
    const what =
      event.action === 'die'
        ? `stopped${event.exitCode === null ? '' : ` (exit code ${event.exitCode})`}`
        : 'is unhealthy';
    if (!state || state.linked !== event.colour) {
      this.log.info(
        { colour: event.colour, container: event.container },
        `The idle colour's container ${what}; traffic is not affected`,
      );
      return;
    }
    this.metrics.linkedFailed(event.action);
    this.log.error(
      { colour: event.colour, container: event.container, event: event.action, exitCode: event.exitCode },
      `LINKED COLOUR ${event.colour.toUpperCase()} FAILED: its container ${what} while serving traffic`,
    );
    if (!this.options.failover) {
      this.log.error(
        { colour: event.colour },
        'Failover is off (--no-failover): run `linkswitch rollback` or `linkswitch deploy`',
      );
      return;
    }
    if (this.abort.signal.aborted) return;
    try {
      // Traffic may have moved meanwhile (a deploy finished): then there is nothing to fail over.
      const current = await this.ctx.service.store.read();
      if (current?.linked !== event.colour) return;
      const result = await this.rollback({}, 'failover');
      this.log.warn(
        { from: event.colour, to: result.state.linked },
        `Failed over to ${result.state.linked}, the warm colour`,
      );
    } catch (error) {
      if (error instanceof NotWarmError)
        this.log.error(
          { colour: event.colour },
          `Cannot fail over: ${error.message}; the service has no healthy linked colour until one is deployed`,
        );
      // Other failures were logged by rollback().
    }
  }

  /**
   * SIGTERM: stop taking work, let an operation in flight finish within the grace period, else
   * abandon it. Abandoning is safe at any instant: state and haproxy.cfg are replaced atomically,
   * a deploy in flight is recorded as `pending`, and the next `serve` (or `up`) resolves it from
   * HAProxy's view. The lock is released so that nobody waits for its expiry.
   */
  private async shutdown(signal: string): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.phase = 'stopping';
    const ops = [...this.inFlight].map((op) => ({ command: op.command, phase: op.phase }));
    this.log.info({ signal, inFlight: ops }, 'Shutting down');
    this.stopEvents?.();
    await this.watcher?.close().catch(() => undefined);
    const closing = this.api?.close() ?? Promise.resolve();
    if (this.inFlight.size > 0) {
      this.log.warn(
        { inFlight: ops, graceMs: this.options.shutdownGraceMs },
        'Waiting for the operation in flight to finish',
      );
      const all = Promise.allSettled([...this.inFlight].map((op) => op.done));
      const finished = await Promise.race([
        all.then(() => true),
        sleep(this.options.shutdownGraceMs).then(() => false),
      ]);
      for (const op of finished ? [] : this.inFlight) {
        this.log.warn(
          { command: op.command, phase: op.phase, runningMs: Date.now() - op.startedAt },
          `Abandoning the in-flight ${op.command} at phase ${op.phase}: the state file records it; the next \`linkswitch serve\` or \`up\` resolves it`,
        );
      }
    }
    await Promise.race([closing, sleep(1000)]);
    for (const lock of [...this.heldLocks]) await lock.release().catch(() => undefined);
    this.log.info('Sidecar stopped');
    this.stopped();
    process.exit(0);
  }
}
