// The settings the core and the adapters run with, owned here so that nothing below the
// composition root depends on the module that reads YAML. `src/config/` produces exactly this
// type (its loader's return type is checked against it by the compiler); durations are in ms and
// every path is absolute.

export type PullPolicy = 'missing' | 'never' | 'always';

export interface ServiceSettings {
  name: string;
  image: string;
  port: number;
  env: Record<string, string>;
  /** Names of env variables whose values are secrets: never logged, never printed. */
  secretEnv: string[];
  labels: Record<string, string>;
  command?: string[] | undefined;
  pull: PullPolicy;
  /** Seconds Docker waits after SIGTERM before it kills the container. */
  stopTimeout: number;
  memory?: string | undefined;
}

export interface HealthSettings {
  path: string;
  interval: number;
  timeout: number;
  probeTimeout: number;
  /** "auto": the image's Docker HEALTHCHECK when it has one, else an HTTP probe of `path`. */
  use: 'auto' | 'docker' | 'http';
}

export type NetworkSettings = { mode: 'published'; hostIp: string } | { mode: 'network'; name: string };

export interface HaproxySettings {
  bind: string;
  configFile: string;
  templateDir: string;
  masterSocket: string;
  adminSocket: string;
  pidFile: string;
  binary: string;
  check: { inter: number; rise: number; fall: number };
  retries: number;
  reloadTimeout: number;
  hardStopAfter: number;
}

export interface SwarmSettings {
  kind: 'swarm';
  replicas: number;
  /** server-template slots per colour (room for replaced tasks); default 2 × replicas. */
  slots?: number | undefined;
  network: string;
  constraints: string[];
  update: {
    parallelism: number;
    delay: number;
    order: 'start-first' | 'stop-first';
    failureAction: 'pause' | 'continue' | 'rollback';
  };
  /** Docker's embedded DNS as HAProxy's container sees it, `address:port`. */
  nameserver: string;
}

export type EngineSettings = { kind: 'container' } | SwarmSettings;

export interface Settings {
  /** The config file these settings were read from (absolute). */
  file: string;
  service: ServiceSettings;
  health: HealthSettings;
  network: NetworkSettings;
  haproxy: HaproxySettings;
  /** Absent: one container per colour on this host. */
  engine?: EngineSettings | undefined;
  state: { file: string };
  deploy: { drainTimeout: number; lockTtl: number };
}
