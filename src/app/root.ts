import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { canaryControlFile } from '../adapters/canary-control.js';
import { systemClock } from '../adapters/clock.js';
import { LiveConfigFile } from '../adapters/config-file.js';
import { type ExternalHaproxy, externalHaproxy } from '../adapters/external-haproxy.js';
import { Haproxy } from '../adapters/haproxy.js';
import { httpProbe } from '../adapters/http-probe.js';
import { Lock } from '../adapters/lock-file.js';
import { createLogger, progressFor } from '../adapters/logger.js';
import { pauseFromEnv } from '../adapters/pause.js';
import { StateFile } from '../adapters/state-file.js';
import { configPath, loadConfig } from '../config/load.js';
import { CertificateError } from '../core/errors.js';
import type { HookPort } from '../core/hooks.js';
import type { HaproxyPort, Progress } from '../core/ports.js';
import type { Locker, Service } from '../core/service.js';
import { type Settings, settingsFor, withAccessLogTarget } from '../core/settings.js';
import { liveBackend } from '../core/stack-view.js';
import { renderHaproxyConfig } from '../render/renderer.js';
import { chooseEngine, type Engine } from './engine.js';

// The composition root: the only place that turns the config into running objects. The CLI and
// `linkswitch serve` both build their objects here; nothing below it chooses a variant again.

export interface GlobalOptions {
  config?: string;
  lockWait?: number;
  /** `--events`: the steps as NDJSON on stdout (src/cli/events.ts). */
  events?: boolean;
  /** `--verbose`: logs on a terminal instead of the live step view. */
  verbose?: boolean;
}

export interface App {
  settings: Settings;
  log: Logger;
  engine: Engine;
  /** The service `settings` are for (the only one, or the first of `services:`). */
  service: Service;
  /** Every service of the stack, in config order, sharing one HAProxy and one haproxy.cfg. */
  stack: Service[];
}

/** The sidecar's app: HAProxy always runs in its own container beside it. */
export interface SidecarApp extends App {
  haproxy: ExternalHaproxy;
}

/** The deploy lock beside the state file: shared by the CLI and `linkswitch serve`. */
export function lockFileFor(settings: Settings): string {
  return `${settings.state.file}.lock`;
}

/**
 * Reads the config named by --config, $LINKSWITCH_CONFIG or ./linkswitch.yml: once per command.
 * Each deprecated key it uses is told to `warn` (a line on stderr; the sidecar logs them).
 */
export async function loadSettings(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (message) => process.stderr.write(`linkswitch: warning: ${message}\n`),
): Promise<Settings> {
  const settings = await loadConfig(configPath(options.config, env));
  for (const message of settings.deprecations ?? []) warn(message);
  return settings;
}

export interface LockerOptions {
  /** Recorded in the lock file as its owner's command (`serve deploy` for the sidecar). */
  prefix?: string;
  waitMs: number;
  /** Told about each lock taken and released (the sidecar releases them on shutdown). */
  onAcquired?: (lock: Lock) => void;
  onReleased?: (lock: Lock) => void;
}

export function fileLocker(settings: Settings, options: LockerOptions): Locker {
  return {
    acquire: async (command) => {
      const lock = await Lock.acquire({
        file: lockFileFor(settings),
        ttlMs: settings.deploy.lockTtl,
        command: options.prefix ? `${options.prefix} ${command}` : command,
        clock: systemClock,
        waitMs: options.waitMs,
      });
      options.onAcquired?.(lock);
      return {
        release: async () => {
          options.onReleased?.(lock);
          await lock.release();
        },
      };
    },
  };
}

/** The config lock's file: beside haproxy.cfg. */
export function configLockFileFor(settings: Settings): string {
  return `${settings.haproxy.configFile}.lock`;
}

/** Held by each service around haproxy.cfg changes (see Runtime.configLock). */
export function configLockFor(settings: Settings): Locker {
  return {
    acquire: async (command) => {
      const lock = await Lock.acquire({
        file: configLockFileFor(settings),
        ttlMs: settings.deploy.lockTtl,
        command: `${settings.service.name} ${command}`,
        clock: systemClock,
        // Another service's switch-to-reload span: a reload, well under this.
        waitMs: 2 * settings.haproxy.reloadTimeout + 30_000,
        pollMs: 20,
      });
      return { release: () => lock.release() };
    },
  };
}

/** HTTPS: the certificate check every render runs (warnings about host coverage logged once). */
function certificateCheck(settings: Settings, warn: (message: string) => void): Service['certificates'] {
  const tls = settings.tls;
  if (!tls) return undefined;
  const hosts = [...new Set(settings.services.flatMap((e) => e.service.routes.map((r) => r.host)))];
  const warned = new Set<string>();
  return async ({ required }) => {
    try {
      // Loaded only with HTTPS configured: the one-service sidecar stays as small as it was.
      const { checkCertificates, servedFingerprints } = await import('../adapters/certificates.js');
      const live = await readFile(settings.haproxy.configFile, 'utf8').catch(() => null);
      const { inventory, warnings } = await checkCertificates(tls, hosts, new Date(), servedFingerprints(live));
      for (const warning of warnings.filter((w) => !warned.has(w))) {
        warned.add(warning);
        warn(warning);
      }
      return inventory;
    } catch (error) {
      // A preview (`render` without --check) shows the config before the certificates exist.
      if (!required && error instanceof CertificateError) return [];
      throw error;
    }
  };
}

/** The hook runner, loaded the first time a hook runs. */
function lazyHookRunner(docker: Engine['docker'], configFile: string): HookPort {
  let runner: Promise<HookPort> | null = null;
  return {
    async run(hook, context, onLine) {
      runner ??= import('../adapters/hook-runner.js').then((m) => new m.HookRunner(docker, configFile));
      return (await runner).run(hook, context, onLine);
    },
  };
}

/** Wraps a service's progress reports (the CLI's step views and `--events`, src/cli/reporter.ts). */
export type ProgressWrap = (base: Progress, service: string) => Progress;

/** A service's progress: its log lines, wrapped by the CLI's view when it has one. */
export function serviceProgress(log: Logger, service: string, wrap?: ProgressWrap): Progress {
  const base = progressFor(log, { service });
  return wrap ? wrap(base, service) : base;
}

function assemble(
  settings: Settings,
  engine: Engine,
  haproxy: HaproxyPort,
  log: Logger,
  lockWait: number,
  wrap?: ProgressWrap,
): Service {
  const progress = serviceProgress(log, settings.service.name, wrap);
  // Through the service's progress, so the terminal's live view shows them too.
  const certificates = certificateCheck(settings, (message) => progress.warn(message));
  const hasHooks = Object.keys(settings.service.hooks).length > 0;
  return {
    ...(certificates ? { certificates } : {}),
    ...(hasHooks ? { hooks: lazyHookRunner(engine.docker, settings.file) } : {}),
    canaryControl: canaryControlFile(settings.state.file),
    config: settings,
    clock: systemClock,
    layout: engine.layout,
    docker: engine.docker,
    haproxy,
    configFile: new LiveConfigFile(settings.haproxy.configFile),
    store: new StateFile(settings.state.file, settings.service.name, engine.kind),
    probe: httpProbe,
    progress,
    render: (context) => renderHaproxyConfig(settings.haproxy.templateDir, context),
    pause: pauseFromEnv(process.env, log),
    // A switch for troubleshooting and the bench's before/after: every config change reloads.
    ...(process.env.LINKSWITCH_RELOAD_EVERY_CHANGE === '1' ? { reloadEveryChange: true } : {}),
    locker: fileLocker(settings, { waitMs: lockWait }),
  };
}

/**
 * One Service per entry of `services:`. Each renders the whole haproxy.cfg: its own backend from
 * what it is doing, the others' from their recorded state, under the shared config lock.
 */
function assembleStack(
  settings: Settings,
  engine: Engine,
  haproxyFor: (s: Settings) => HaproxyPort,
  log: Logger,
  lockWait: number,
  wrap?: ProgressWrap,
): Service[] {
  const views = settings.services.map((e) => settingsFor(settings, e.service.name)!);
  // The engine's Docker port names containers after its service: one per service, same kind.
  const stack = views.map((view) =>
    assemble(view, view === views[0] ? engine : chooseEngine(view), haproxyFor(view), log, lockWait, wrap),
  );
  // One HAProxy, one set of certificates: noted once, in the first service's status.
  const first = stack[0];
  if (first && settings.tls)
    first.certificateNotes = async () => {
      const { certificateNotes } = await import('./certificate-rows.js');
      const live = await readFile(settings.haproxy.configFile, 'utf8').catch(() => null);
      return certificateNotes(settings, new Date(), live);
    };
  if (stack.length < 2) return stack;
  const configLock = configLockFor(settings);
  for (const svc of stack) {
    svc.configLock = configLock;
    svc.otherBackends = () => Promise.all(stack.filter((other) => other !== svc).map((other) => liveBackend(other)));
  }
  return stack;
}

/** Whether HAProxy runs in a container (where its stdout is `docker logs`) rather than on the host. */
function haproxyInContainer(settings: Settings, engine: Engine): boolean {
  return engine.haproxyExternal || settings.network.mode === 'network';
}

/** The CLI's objects. Under Swarm, HAProxy runs in its own container: wait for it, never start it. */
export function buildApp(
  given: Settings,
  options: { lockWait?: number; log?: Logger; progress?: ProgressWrap } = {},
): App {
  const log = options.log ?? createLogger();
  const engine = chooseEngine(given);
  const settings = withAccessLogTarget(given, haproxyInContainer(given, engine));
  const haproxyFor = (view: Settings): HaproxyPort => {
    const direct = new Haproxy(view, systemClock, engine.layout);
    return engine.haproxyExternal
      ? externalHaproxy(direct, log, view.haproxy.masterSocket, new AbortController().signal)
      : direct;
  };
  const stack = assembleStack(settings, engine, haproxyFor, log, options.lockWait ?? 0, options.progress);
  const service = stack.find((s) => s.config.service.name === settings.service.name) ?? stack[0]!;
  return { settings, log, engine, service, stack };
}

/** `linkswitch serve`'s objects: the HAProxy port waits for HAProxy's container until `signal` aborts. */
export function buildSidecarApp(given: Settings, options: { log: Logger; signal: AbortSignal }): SidecarApp {
  const engine = chooseEngine(given);
  // The CLI's rule (network.mode says where HAProxy runs): a host sidecar beside a stack that
  // `up` made renders the same access log target, so its start changes nothing (no reload).
  const settings = withAccessLogTarget(given, haproxyInContainer(given, engine));
  const external = (view: Settings) =>
    externalHaproxy(
      new Haproxy(view, systemClock, engine.layout),
      options.log,
      view.haproxy.masterSocket,
      options.signal,
    );
  const haproxy = external(settings);
  const stack = assembleStack(
    settings,
    engine,
    (view) => (view.service.name === settings.service.name ? haproxy : external(view)),
    options.log,
    0,
  );
  return { settings, log: options.log, engine, haproxy, service: stack[0]!, stack };
}
