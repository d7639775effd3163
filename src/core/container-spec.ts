// A colour's container beyond its image, port, env, labels, command and limits: what Compose calls
// a service's container keys, already resolved (paths absolute, names final, durations in ms,
// sizes in bytes). The config layer produces it from linkswitch's YAML or from `docker compose
// config`; the engines turn it into the Docker API's own structures. Nothing here reaches
// haproxy.cfg.

export type MountSpec =
  /** A named volume (source) or an anonymous one (source null: one per container, removed with it). */
  | { type: 'volume'; source: string | null; target: string; readOnly: boolean; noCopy: boolean }
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes: number | null };

export interface NetworkAttachment {
  /** The Docker network's own name (Compose's `<project>_<key>` already applied). */
  name: string;
  aliases: string[];
}

export type HealthcheckSpec =
  | { disable: true }
  | {
      disable: false;
      /** Docker's form: ["CMD", ...], ["CMD-SHELL", "..."]. */
      test: string[];
      intervalMs: number | null;
      timeoutMs: number | null;
      retries: number | null;
      startPeriodMs: number | null;
    };

export interface SecretMount {
  name: string;
  /** The file on this host (absolute). */
  file: string;
  /** Absolute path in the container (Compose: /run/secrets/<name> unless a target is given). */
  target: string;
}

export interface RestartSpec {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maxRetries: number;
}

export interface ContainerSpec {
  entrypoint: string[] | null;
  workingDir: string | null;
  user: string | null;
  mounts: MountSpec[];
  /** Networks besides the one HAProxy reaches the colours on (network.mode / engine.network). */
  networks: NetworkAttachment[];
  /** Aliases on the network HAProxy uses (Compose lists it among `networks` too). */
  aliases: string[];
  /** "host:ip" pairs. */
  extraHosts: Array<{ host: string; ip: string }>;
  dns: string[];
  restart: RestartSpec;
  healthcheck: HealthcheckSpec | null;
  stopSignal: string | null;
  /** CPUs as a fraction (0.5 = half a core); null: unlimited. */
  cpus: number | null;
  ulimits: Array<{ name: string; soft: number; hard: number }>;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  readOnly: boolean;
  init: boolean | null;
  shmSizeBytes: number | null;
  sysctls: Record<string, string>;
  logging: { driver: string; options: Record<string, string> } | null;
  secrets: SecretMount[];
  /** Container ports besides the service's (Compose `expose`): metadata only. */
  expose: number[];
}

/** The spec of a service that says nothing beyond image/port/env: Docker's defaults, restart unless-stopped. */
export function emptyContainerSpec(): ContainerSpec {
  return {
    entrypoint: null,
    workingDir: null,
    user: null,
    mounts: [],
    networks: [],
    aliases: [],
    extraHosts: [],
    dns: [],
    restart: { name: 'unless-stopped', maxRetries: 0 },
    healthcheck: null,
    stopSignal: null,
    cpus: null,
    ulimits: [],
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    readOnly: false,
    init: null,
    shmSizeBytes: null,
    sysctls: {},
    logging: null,
    secrets: [],
    expose: [],
  };
}
