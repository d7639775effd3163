import type { Logger } from 'pino';
import { systemClock } from '../adapters/clock.js';
import { LiveConfigFile } from '../adapters/config-file.js';
import { DockerEngine } from '../adapters/docker.js';
import { Haproxy } from '../adapters/haproxy.js';
import { httpProbe } from '../adapters/http-probe.js';
import { Lock } from '../adapters/lock-file.js';
import { createLogger, progressFor } from '../adapters/logger.js';
import { pauseFromEnv } from '../adapters/pause.js';
import { StateFile } from '../adapters/state-file.js';
import { SwarmEngine } from '../adapters/swarm.js';
import { type Config, configPath, loadConfig } from '../config/load.js';
import type { Service } from '../core/service.js';
import { renderHaproxyConfig } from '../render/renderer.js';
import { externalHaproxy } from '../sidecar/external-haproxy.js';

// Wires the real adapters into the core. This is the one place that knows every adapter.

export interface GlobalOptions {
  config?: string;
  lockWait?: number;
}

export interface CliContext {
  config: Config;
  log: Logger;
  service: Service;
}

/** The deploy lock beside the state file: shared by the CLI and `linkswitch serve`. */
export function lockFileFor(config: Config): string {
  return `${config.state.file}.lock`;
}

export async function createContext(options: GlobalOptions): Promise<CliContext> {
  const config = await loadConfig(configPath(options.config));
  const log = createLogger();
  const clock = systemClock;
  const swarm = config.engine?.kind === 'swarm';
  const haproxy = new Haproxy(config, clock);
  const service: Service = {
    config,
    clock,
    // The engine is selected by the config; the core behind it is the same.
    docker: swarm ? new SwarmEngine(config) : new DockerEngine(config),
    // Swarm: HAProxy runs in a container on the overlay network (it must reach Docker's DNS);
    // linkswitch shares its socket directory and never starts or stops its process.
    haproxy: swarm ? externalHaproxy(haproxy, log, config.haproxy.masterSocket, new AbortController().signal) : haproxy,
    configFile: new LiveConfigFile(config.haproxy.configFile),
    store: new StateFile(config.state.file, config.service.name),
    probe: httpProbe,
    progress: progressFor(log, { service: config.service.name }),
    render: (context) => renderHaproxyConfig(config.haproxy.templateDir, context),
    pause: pauseFromEnv(process.env, log),
    locker: {
      acquire: (command) =>
        Lock.acquire({
          file: lockFileFor(config),
          ttlMs: config.deploy.lockTtl,
          command,
          clock,
          waitMs: options.lockWait ?? 0,
        }),
    },
  };
  return { config, log, service };
}
