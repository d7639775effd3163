import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { backoff, pause } from '../adapters/backoff.js';
import {
  buildSidecarApp,
  configLockFileFor,
  type GlobalOptions,
  loadSettings,
  lockFileFor,
  type SidecarApp,
} from '../app/root.js';
import { messageOf } from '../core/errors.js';
import type { ColourEvent } from '../core/ports.js';
import { type Service, type StackStatusReport, type StatusReport, status } from '../core/service.js';
import { CertificateRenewals } from './certificate-renewals.js';
import { type ControlApi, startControlApi } from './control-api.js';
import { followEvents } from './docker-events.js';
import { Metrics } from './metrics.js';
import { logFailure } from './outcomes.js';
import { controlSocketPath, type HealthReport } from './protocol.js';
import { ReconcileQueue, type ReconcileRun } from './reconcile-queue.js';
import { createUnit, type Unit, unitNamed } from './service-units.js';
import { clearOwnStaleLock } from './stale-lock.js';
import type { TokenSource } from './token.js';
import { type InputWatcher, watchInputs } from './watch-inputs.js';

// `linkswitch serve`: the long-running mode beside HAProxy. It reuses the core verbs (up,
// deploy, rollback, status) and the same lock file as the CLI, so the sidecar and any CLI never
// change the stack at the same time; what it adds is when to run them: at start, when the
// templates or the config change, when the linked colour fails, and when asked over the API.
// This class only starts and stops its parts; each part reports through callbacks.

export interface ServeOptions {
  global: GlobalOptions;
  listen: { host: string; port: number } | null;
  /** The control API's bearer token (src/sidecar/token.ts); null: the TCP API stays off. */
  token: TokenSource | null;
  /** Switch to the warm colour when the linked one dies or turns unhealthy (else only log). */
  failover: boolean;
  watch: boolean;
  /** On SIGTERM, how long an operation in flight may take to finish before it is abandoned. */
  shutdownGraceMs: number;
  /** How long reconcile triggers are gathered: after the last one, and at most after the first. */
  reconcileWait?: { minMs: number; maxMs: number };
}

/** A burst of template saves or container starts becomes one reconcile, never later than 1 s. */
export const RECONCILE_WAIT = { minMs: 50, maxMs: 1_000 } as const;

type Phase = 'starting' | 'waiting-for-haproxy' | 'reconciling' | 'serving' | 'stopping';

export class Sidecar {
  private app: SidecarApp;
  private phase: Phase = 'starting';
  private readonly abort = new AbortController();
  private readonly log: Logger;
  /** In config order; a config reload keeps the units (the service names may not change). */
  private readonly units: Unit[];
  private readonly queue: ReconcileQueue;
  private api: ControlApi | null = null;
  private watcher: InputWatcher | null = null;
  private events: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly renewals: CertificateRenewals;

  private constructor(
    private readonly options: ServeOptions,
    build: (signal: AbortSignal) => SidecarApp,
  ) {
    this.app = build(this.abort.signal);
    this.log = this.app.log;
    this.units = this.app.stack.map((svc) => this.unit(svc.config.service.name));
    this.renewals = new CertificateRenewals(() => this.app.service, this.log);
    const wait = options.reconcileWait ?? RECONCILE_WAIT;
    this.queue = new ReconcileQueue({
      run: (batch) => this.reconcileRun(batch),
      minWaitMs: wait.minMs,
      maxWaitMs: wait.maxMs,
      signal: this.abort.signal,
    });
  }

  private unit(name: string): Unit {
    return createUnit({
      name,
      service: () => this.service(name),
      log: this.app.stack.length > 1 ? this.log.child({ service: name }) : this.log,
      failover: this.options.failover,
      signal: this.abort.signal,
    });
  }

  /** The service as configured now (a config reload replaces the objects, not the names). */
  private service(name: string): Service {
    return this.app.stack.find((s) => s.config.service.name === name) ?? this.app.service;
  }

  private get inFlight(): number {
    return this.units.reduce((n, u) => n + u.operations.size, 0);
  }

  /** Builds the sidecar from the config and starts it; resolves once it is taking requests. */
  static async start(options: ServeOptions, log: Logger): Promise<Sidecar> {
    const settings = await loadSettings(options.global, process.env, (message) => log.warn(message));
    const sidecar = new Sidecar(options, (signal) => buildSidecarApp(settings, { log, signal }));
    await sidecar.begin();
    return sidecar;
  }

  private get settings() {
    return this.app.settings;
  }

  private async begin(): Promise<void> {
    const { settings } = this;
    const { failover, watch } = this.options;
    this.log.info({ service: settings.service.name, config: settings.file, failover, watch }, 'Sidecar starting');
    // Every lock this sidecar may have held: each service's deploy lock and the config lock.
    for (const svc of this.app.stack) await clearOwnStaleLock(lockFileFor(svc.config), this.log);
    await clearOwnStaleLock(configLockFileFor(settings), this.log);
    this.api = await startControlApi({
      socketPath: controlSocketPath(settings),
      listen: this.options.listen,
      token: this.options.token,
      log: this.log,
      handlers: {
        health: () => this.health(),
        status: () => this.status(),
        deploy: (request, sink) => unitNamed(this.units, request.service).operations.deploy(request, sink),
        rollback: (request, sink) => unitNamed(this.units, request.service).operations.rollback(request, 'api', sink),
        metrics: async () =>
          Metrics.render(
            this.units.map((u) => u.metrics),
            await this.renewals.current(),
            new Date(),
          ),
      },
    });
    if (watch) this.watchFiles();
    this.followEvents();
    void this.startupReconcile();
  }

  /** One service: its report, as the CLI prints it. Several: every service's. */
  private async status(): Promise<StatusReport | StackStatusReport> {
    if (this.app.stack.length === 1) return status(this.app.service);
    return { services: await Promise.all(this.app.stack.map((svc) => status(svc))) };
  }

  private watchFiles(): void {
    const { templateDir } = this.settings.haproxy;
    const certificates = this.settings.tls?.certificates ?? [];
    this.watcher = watchInputs({
      templateDir,
      configFile: this.settings.file,
      certificates,
      onChange: (kinds, files) =>
        void this.queue.request(`changed: ${files.map((f) => path.basename(f)).join(', ')}`, kinds),
      onError: (error) => this.log.warn({ error: messageOf(error) }, 'File watcher error'),
    });
    this.log.info(
      { templateDir, config: this.settings.file, certificates },
      'Watching the templates, the config file and the certificates',
    );
  }

  private followEvents(): void {
    const { events, eventsAbsentReason } = this.app.engine;
    if (!events) {
      this.log.info(eventsAbsentReason ?? 'No container events with this engine');
      return;
    }
    this.events = followEvents({
      source: events,
      log: this.log,
      signal: this.abort.signal,
      onEvent: (event) => this.onColourEvent(event),
      onResync: () => {
        if (this.phase !== 'serving') return;
        for (const u of this.units) void u.failover.resync((colour) => this.service(u.name).docker.inspect(colour));
      },
    });
  }

  health(): HealthReport {
    // haproxy.cfg must exist before the haproxy container can start (it depends on this check).
    return { ok: this.phase !== 'stopping' && existsSync(this.settings.haproxy.configFile), phase: this.phase };
  }

  /**
   * Like `up`, retried with back-off until it succeeds: a missing HAProxy, Docker hiccup or
   * broken template at start must not crash-loop the sidecar. With a haproxy.cfg already on
   * disk HAProxy can (re)start on its own, so wait for it first: an interrupted deploy is then
   * resolved from HAProxy's actual view rather than from an empty one.
   */
  private async startupReconcile(): Promise<void> {
    const delays = backoff(1000, 30_000);
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        if (existsSync(this.settings.haproxy.configFile)) {
          this.phase = 'waiting-for-haproxy';
          await this.app.haproxy.waitUntilRunning();
        }
        this.phase = 'reconciling';
        if (await this.queue.request('start', [], { immediate: true })) {
          this.phase = 'serving';
          const linked = await Promise.all(this.app.stack.map(async (s) => (await s.store.read())?.linked));
          this.log.info({ services: this.units.map((u) => u.name), linked }, 'Sidecar serving');
          // One after the other, like reconciles: each may run `haproxy -c`.
          void this.units.reduce((done, u) => done.then(() => u.operations.prepareRollback()), Promise.resolve());
          this.renewals.start();
          return;
        }
      } catch (error) {
        if (signal.aborted) return;
        logFailure(this.log, 'start', error);
      }
      const delay = delays.next();
      this.log.warn({ retryInMs: delay }, 'Start-up reconcile did not complete; retrying');
      await pause(delay, signal);
    }
  }

  /** One run of the reconcile queue: re-read the config if it changed, then `up`. */
  private async reconcileRun(batch: ReconcileRun): Promise<boolean> {
    const reason = batch.reasons.join('; ');
    const configChanged = batch.kinds.has('config');
    if (configChanged && !(await this.reloadConfig(reason))) return false;
    // One service after the other: each `up` renders the whole file from the others' state.
    let ok = true;
    for (const u of this.units) ok = (await u.operations.reconcile(reason)) && ok;
    if (configChanged) this.renewals.configChanged();
    return ok;
  }

  /** A new config takes effect for every later operation; one that fails to load changes nothing. */
  private async reloadConfig(reason: string): Promise<boolean> {
    try {
      const next = await loadSettings(this.options.global, process.env, (message) => this.log.warn(message));
      const names = (s: typeof next) => s.services.map((e) => `${e.service.name} ${e.state.file}`).join('\n');
      if (names(next) !== names(this.settings)) {
        this.log.error(
          { reason },
          'the services or their state files changed: restart the sidecar to switch services; keeping the running config',
        );
        return false;
      }
      this.app = buildSidecarApp(next, { log: this.log, signal: this.abort.signal });
      this.log.info({ reason }, 'Config file reloaded');
      return true;
    } catch (error) {
      for (const u of this.units) u.metrics.reloaded('rejected');
      logFailure(this.log, 'reload-config', error);
      this.log.error({ reason }, 'Config file refused; the previous config stays in force');
      return false;
    }
  }

  private onColourEvent(event: ColourEvent): void {
    this.log.debug({ event }, 'Docker event');
    // A container started behind our back (restart policy, `docker start`) may have a new IP:
    // re-render, and reload if the config changed. Starts by our own deploy are its business, and
    // a reconcile queued behind it would hold the lock just when the next command arrives.
    if (event.action === 'start' && this.phase === 'serving' && this.inFlight === 0) {
      void this.queue.request(`${event.container} started`);
    }
    const unit = this.units.length === 1 ? this.units[0] : this.units.find((u) => u.name === event.service);
    void unit?.failover.handle(event).catch((error) => logFailure(this.log, 'failover', error));
  }

  /**
   * Stop taking work, let an operation in flight finish within the grace period, else abandon it
   * (safe at any instant: see Operations.drain). Resolves when every part has stopped.
   */
  stop(signal: string): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      this.phase = 'stopping';
      const inFlight = this.units.flatMap((u) => u.operations.describeInFlight());
      this.log.info({ signal, inFlight }, 'Shutting down');
      await this.watcher?.close().catch(() => undefined);
      const closing = this.api?.close() ?? Promise.resolve();
      await Promise.all(this.units.map((u) => u.operations.drain(this.options.shutdownGraceMs)));
      await Promise.race([this.renewals.stop(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      // Neither a client that keeps its connection nor an engine that does not answer holds the exit.
      const second = () => new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([closing, second()]);
      await Promise.race([this.events, second()]);
      this.log.info('Sidecar stopped');
    })();
    return this.stopping;
  }
}
