import type { Logger } from 'pino';
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
import type { HaproxyPort } from '../core/ports.js';
import type { Locker, Service } from '../core/service.js';
import type { Settings } from '../core/settings.js';
import { renderHaproxyConfig } from '../render/renderer.js';
import { chooseEngine, type Engine } from './engine.js';

// The composition root: the only place that turns the config into running objects. The CLI and
// `linkswitch serve` both build their objects here; nothing below it chooses a variant again.

export interface GlobalOptions {
  config?: string;
  lockWait?: number;
}

export interface App {
  settings: Settings;
  log: Logger;
  engine: Engine;
  service: Service;
}

/** The sidecar's app: HAProxy always runs in its own container beside it. */
export interface SidecarApp extends App {
  haproxy: ExternalHaproxy;
}

/** The deploy lock beside the state file: shared by the CLI and `linkswitch serve`. */
export function lockFileFor(settings: Settings): string {
  return `${settings.state.file}.lock`;
}

/** Reads the config named by --config, $LINKSWITCH_CONFIG or ./linkswitch.yml: once per command. */
export function loadSettings(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  return loadConfig(configPath(options.config, env));
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

function assemble(settings: Settings, engine: Engine, haproxy: HaproxyPort, log: Logger, lockWait: number): Service {
  return {
    config: settings,
    clock: systemClock,
    layout: engine.layout,
    docker: engine.docker,
    haproxy,
    configFile: new LiveConfigFile(settings.haproxy.configFile),
    store: new StateFile(settings.state.file, settings.service.name, engine.kind),
    probe: httpProbe,
    progress: progressFor(log, { service: settings.service.name }),
    render: (context) => renderHaproxyConfig(settings.haproxy.templateDir, context),
    pause: pauseFromEnv(process.env, log),
    locker: fileLocker(settings, { waitMs: lockWait }),
  };
}

/** The CLI's objects. Under Swarm, HAProxy runs in its own container: wait for it, never start it. */
export function buildApp(settings: Settings, options: { lockWait?: number; log?: Logger } = {}): App {
  const log = options.log ?? createLogger();
  const engine = chooseEngine(settings);
  const direct = new Haproxy(settings, systemClock, engine.layout);
  const haproxy = engine.haproxyExternal
    ? externalHaproxy(direct, log, settings.haproxy.masterSocket, new AbortController().signal)
    : direct;
  return { settings, log, engine, service: assemble(settings, engine, haproxy, log, options.lockWait ?? 0) };
}

/** `linkswitch serve`'s objects: the HAProxy port waits for HAProxy's container until `signal` aborts. */
export function buildSidecarApp(settings: Settings, options: { log: Logger; signal: AbortSignal }): SidecarApp {
  const engine = chooseEngine(settings);
  const direct = new Haproxy(settings, systemClock, engine.layout);
  const haproxy = externalHaproxy(direct, options.log, settings.haproxy.masterSocket, options.signal);
  return {
    settings,
    log: options.log,
    engine,
    haproxy,
    service: assemble(settings, engine, haproxy, options.log, 0),
  };
}
