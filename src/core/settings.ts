// The settings the core and the adapters run with, owned here so that nothing below the
// composition root depends on the module that reads YAML. `src/config/` produces exactly this
// type (its loader's return type is checked against it by the compiler); durations are in ms and
// every path is absolute.

import type { CanarySettings } from './canary.js';
import type { ContainerSpec } from './container-spec.js';
import type { HookPhase, HookSettings } from './hooks.js';

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
  /** `tcp`: a TCP service (Tutum's TCP_PORTS) on its own `bind`, switched the same way; no routes. */
  mode: 'http' | 'tcp';
  /** TCP services: where HAProxy listens for it ("address:port"); null for HTTP services. */
  bind: string | null;
  /** Requests this service answers (host, optional path prefix); empty for the one-service config. */
  routes: RouteSettings[];
  /** Answers requests no route matches (the one-service config: always). */
  default: boolean;
  timeouts: ServiceTimeouts;
  /** HTTP basic auth in front of the service: users with crypt(3) hashes, never plain passwords. */
  auth: { realm: string; users: Array<{ name: string; hash: string }> } | null;
  /** Extra lines for the service's backend section (each checked; the file goes through `haproxy -c`). */
  extraLines: string[];
  /** The rest of the container, in Compose's terms, resolved (src/core/container-spec.ts). */
  container: ContainerSpec;
  /** Hooks per phase, run in order (src/core/hooks.ts). */
  hooks: Partial<Record<HookPhase, HookSettings[]>>;
  /** false: stop the old colour once drained; rollback then starts it and waits for its health. */
  keepWarm: boolean;
  /** How `deploy --canary` shifts traffic and judges the new colour (the watch window too). */
  canary: CanarySettings;
  /** ms after each full switch during which a regression rolls back by itself (0: off). */
  watch: number;
  /** ms over which a switch ramps the new colour's weight up (0: a single flip). */
  slowStart: number;
  /** A header and/or cookie that reaches the idle colour (for testing a release before the switch). */
  preview: { header: string | null; cookie: string | null; token: string | null } | null;
  /** Who still reaches the app in maintenance mode (addresses or CIDRs; a header with its token). */
  maintenance: { allowIps: string[]; allowHeader: string | null; allowToken: string | null };
  /** Where the container came from when it is taken from a compose file (for messages). */
  composeSource: { files: string[]; service: string; project: string; dependsOn: string[] } | null;
  /** This service's own error pages: status → absolute file (a whole HTTP response). */
  errorFiles: Record<string, string>;
}

/** One route: a host (exact, or `*.example.com` for any subdomain) and an optional path prefix. */
export interface RouteSettings {
  /** Lowercase; `*.` prefix for a wildcard. */
  host: string;
  /** A path prefix starting with "/" (matched on segment boundaries), or null for the whole host. */
  path: string | null;
  /** Remove the prefix before the request reaches the app. */
  stripPrefix: boolean;
}

/** Per-service HAProxy timeouts, in ms. `tunnel` applies to WebSockets and other upgraded streams. */
export interface ServiceTimeouts {
  connect: number;
  server: number;
  tunnel: number;
}

export interface HealthSettings {
  path: string;
  interval: number;
  timeout: number;
  probeTimeout: number;
  /** "auto": the image's Docker HEALTHCHECK when it has one, else an HTTP probe of `path`. */
  use: 'auto' | 'docker' | 'http';
  /** Host header of the health check (HAProxy's and the probe's); null: none (HTTP/1.0). */
  host: string | null;
  /** The status a healthy colour answers (HAProxy's check and the probe). */
  expectStatus: number;
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

/** HTTPS on one bind, certificates picked by SNI. Paths are absolute. */
/** Certificates from an ACME CA (src/core/acme-hosts.ts plans, src/app/certs.ts issues). */
export interface AcmeSettings {
  email: string;
  directoryUrl: string;
  /** PEM bundle trusted for the directory's HTTPS (a private CA), or null: the system's. */
  directoryCa: string | null;
  keyType: 'ecdsa-p256' | 'rsa-2048';
  /** The hosts to hold certificates for, before those that certificate files cover are left out. */
  hosts: string[];
  /** Account, certificates, challenge map and crt-list (HAProxy reads it: beside haproxy.cfg). */
  dir: string;
}

export interface TlsSettings {
  bind: string;
  /** PEM files (certificate chain + key), or directories of them; the first file is the default. */
  certificates: string[];
  acme: AcmeSettings | null;
  /** 308 or 301: plain-HTTP requests are redirected to HTTPS (except ACME challenges); null: served. */
  redirect: 301 | 308 | null;
  /** max-age in seconds. */
  hsts: { maxAge: number; includeSubDomains: boolean } | null;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** What every request gets on its way through HAProxy. */
export interface EdgeSettings {
  /** X-Forwarded-For/-Proto/-Host to the app. */
  forwardHeaders: boolean;
  /**
   * Access logs: where (`stdout`, `stderr`, a unix socket path such as /dev/log, `address:port`, or
   * `none`) and how. A null target depends on where HAProxy runs, which the composition root knows
   * (`withAccessLogTarget`): stdout in a container (`docker logs`), else /dev/log (syslog/journald).
   */
  accessLog: { target: string | null; format: 'http' | 'json' };
  /** Client-side timeout (ms); per-service timeouts are in ServiceTimeouts. */
  clientTimeout: number;
  /** HAProxy's Prometheus exporter (/metrics) and stats page (/stats) on their own bind; null: off. */
  stats: { bind: string } | null;
  /** Extra lines for the HTTP(S) frontends. */
  extraFrontendLines: string[];
  /** Error pages for every service (defaults section): status → absolute file. */
  errorFiles: Record<string, string>;
}

/** One service of the stack as the core sees it: its container, its health gate, its state file. */
export interface ServiceEntry {
  service: ServiceSettings;
  health: HealthSettings;
  state: { file: string };
}

export type EngineSettings = { kind: 'container' } | SwarmSettings;

/**
 * The settings one service's commands run with: `service`, `health` and `state` are that
 * service's; `services` lists every service of the stack (this one included) for the parts of
 * haproxy.cfg that span them (routing, the other backends). `settingsFor` picks another one.
 */
export interface Settings {
  /** The config file these settings were read from (absolute). */
  file: string;
  /** The config used `services:` (several services, routed) rather than the single `service:`. */
  multi: boolean;
  services: ServiceEntry[];
  tls: TlsSettings | null;
  edge: EdgeSettings;
  service: ServiceSettings;
  health: HealthSettings;
  network: NetworkSettings;
  haproxy: HaproxySettings;
  /** Absent: one container per colour on this host. */
  engine?: EngineSettings | undefined;
  state: { file: string };
  deploy: { drainTimeout: number; lockTtl: number };
  /** One line per deprecated key the config uses (told once per command, logged by the sidecar). */
  deprecations?: readonly string[];
}

/** The same settings seen from another service of the stack. */
export function settingsFor(settings: Settings, name: string): Settings | null {
  const entry = settings.services.find((e) => e.service.name === name);
  return entry ? { ...settings, service: entry.service, health: entry.health, state: entry.state } : null;
}

/** Settings with the access log target decided for where HAProxy runs (see EdgeSettings). */
export function withAccessLogTarget(settings: Settings, haproxyInContainer: boolean): Settings {
  if (settings.edge.accessLog.target !== null) return settings;
  const target = haproxyInContainer ? 'stdout' : '/dev/log';
  return { ...settings, edge: { ...settings.edge, accessLog: { ...settings.edge.accessLog, target } } };
}
