import { COLOURS, type Colour } from './colour.js';
import { haproxyDuration } from './duration.js';
import { type HaproxyLayout, SINGLE_SERVER_LAYOUT } from './layout.js';
import { maintenanceMapFile, retryKey } from './maintenance.js';
import type { Observed } from './plan.js';
import type { CertificateInfo } from './ports.js';
import {
  safeBind,
  safeConfigLine,
  safeCryptHash,
  safeFsPath,
  safeHost,
  safeHttpPath,
  safeIpv4,
  safeName,
  safePort,
  safeToken,
  safeWeight,
} from './safe-values.js';
import type { Settings } from './settings.js';
import {
  type EdgeContext,
  type ErrorFileContext,
  errorFileContext,
  type MapFile,
  stackContext,
  type TlsContext,
} from './stack-context.js';

// The plain object the haproxy.cfg template sees (docker-gen's "context"). Every value is checked
// here, and the template's helpers check again, so a template edit cannot bypass validation.

export const LINKED_WEIGHT = 100;
export const IDLE_WEIGHT = 0;

export interface ServerContext {
  name: Colour;
  host: string;
  port: number;
  weight: number;
  linked: boolean;
  /**
   * The IP a server given by name resolves to now (network mode), else null. HAProxy resolves
   * names only when it loads its config, so the rendered file must change, and HAProxy reload,
   * whenever a colour's IP changes (a recreated container need not get its old IP back): the
   * shipped template prints it as a comment on the server line.
   */
  resolvesTo: string | null;
  /**
   * A colour without a running container: a placeholder server in maintenance (never checked,
   * never sent traffic), so a deploy can point it at the new container through the runtime API
   * instead of reloading HAProxy to add a server line.
   */
  disabled: boolean;
  /** Swarm engine: rendered as `server-template <name> <slots> <host>:<port>` resolved through `resolvers`. */
  slots?: number;
}

/** One service's backend: its colours' servers and the settings of its health check. */
export interface BackendContext {
  service: string;
  backend: string;
  linked: Colour;
  servers: ServerContext[];
  health: { path: string; host: string | null; expectStatus: number };
  check: { inter: string; rise: number; fall: number };
  retries: number;
  timeouts: { connect: string; server: string; tunnel: string };
  /** HTTP basic auth: a userlist `ul_<service>` of crypt(3) hashes, checked in the backend. */
  auth: { userlist: string; realm: string; users: Array<{ name: string; hash: string }> } | null;
  extraLines: string[];
  /** This service's own error pages (`errorfile` in its backend). */
  errorFiles: ErrorFileContext[];
  /** Path prefixes removed before the request reaches the app (routes with stripPrefix). */
  stripPrefixes: string[];
  /** TCP services: their own frontend's bind; null for HTTP services. */
  tcp: { address: string; port: number } | null;
  /** Maintenance mode (HTTP services): the runtime map it is switched in, and the allow-list. */
  maintenance: {
    map: string;
    key: string;
    retryKey: string;
    allowIps: string[];
    allowHeader: string | null;
    allowToken: string | null;
    /** Some allow-list exists: the 503 rules add `!ls_maint_allowed`. */
    allowed: boolean;
  } | null;
  /** The preview route to the idle colour (`use-server`), when configured and there is one. */
  preview: { idle: string; header: string | null; cookie: string | null; token: string | null } | null;
}

export interface HaproxyContext {
  /** The service this config was rendered for, and its backend (the only one with one service). */
  service: string;
  frontend: string;
  backend: string;
  bind: { address: string; port: number };
  linked: Colour;
  servers: ServerContext[];
  health: BackendContext['health'];
  check: { inter: string; rise: number; fall: number };
  retries: number;
  hardStopAfter: string;
  adminSocket: string;
  /** Every service's backend, in config order (this service's built from its live view). */
  backends: BackendContext[];
  /** Some backend is a TCP service's: the file has a `defaults tcp` section for them. */
  hasTcp: boolean;
  /** Where unmatched requests go; null: HAProxy answers 404 itself. */
  defaultBackend: string | null;
  /** Several services: the map files HAProxy routes with (see routing.ts); null: one backend. */
  routing: { routes: string; wildcards: string | null } | null;
  /** Map files the config references: written (content-addressed) before it is validated. */
  maps: MapFile[];
  tls: TlsContext | null;
  edge: EdgeContext;
  /** Swarm engine: the `resolvers docker` section (Docker's embedded DNS on the overlay network). */
  resolvers?: { host: string; port: number };
  /**
   * Swarm engine: where the servers' state (resolved task addresses, weights) is saved before a
   * reload, so the new worker starts with the old one's addresses instead of none until DNS answers.
   */
  serverStateFile?: string;
}

/**
 * Where a colour without a container points: the loopback's port 1, in maintenance. HAProxy never
 * connects to a disabled server (no check, no traffic); the address only has to be valid.
 */
const PLACEHOLDER = { host: '127.0.0.1', port: 1, resolvesTo: null, disabled: true } as const;

/** Backend and server names used both in haproxy.cfg and in runtime-API commands. */
export function backendName(service: string): string {
  return `be_${safeName(service, 'service name')}`;
}

function authContext(service: string, auth: Settings['service']['auth']): BackendContext['auth'] {
  if (!auth) return null;
  return {
    userlist: `ul_${service}`,
    realm: safeToken(auth.realm, 'auth realm'),
    users: auth.users.map((u) => ({ name: safeToken(u.name, 'auth user'), hash: safeCryptHash(u.hash) })),
  };
}

/** One service's backend from its linked colour and its observed containers. */
export function buildBackendContext(
  config: Settings,
  linked: Colour,
  observed: Observed,
  layout: HaproxyLayout = SINGLE_SERVER_LAYOUT,
): BackendContext {
  const service = safeName(config.service.name, 'service name');
  const servers: ServerContext[] = [];
  for (const colour of COLOURS) {
    const address = observed[colour]?.address;
    const weight = safeWeight(colour === linked ? LINKED_WEIGHT : IDLE_WEIGHT);
    if (!address) {
      // Weight 0 even when linked: HAProxy's weights never name a colour that has no container
      // (adoption reads them). Swarm's templates resolve through DNS: no placeholder there.
      if (layout.slots === null)
        servers.push({ ...PLACEHOLDER, name: colour, weight: IDLE_WEIGHT, linked: colour === linked });
      continue;
    }
    const probe = observed[colour]?.probeAddress;
    servers.push({
      name: colour,
      host: safeHost(address.host, `${colour} address`),
      resolvesTo: probe && probe.host !== address.host ? safeHost(probe.host, `${colour} IP`) : null,
      port: safePort(address.port, `${colour} port`),
      weight,
      linked: colour === linked,
      disabled: false,
      ...(layout.slots === null ? {} : { slots: layout.slots }),
    });
  }
  const { timeouts, routes } = config.service;
  return {
    service,
    backend: backendName(service),
    linked,
    servers,
    health: {
      path: safeHttpPath(config.health.path),
      host: config.health.host === null ? null : safeHost(config.health.host, 'health check host'),
      expectStatus: config.health.expectStatus,
    },
    check: {
      inter: haproxyDuration(config.haproxy.check.inter),
      rise: config.haproxy.check.rise,
      fall: config.haproxy.check.fall,
    },
    retries: config.haproxy.retries,
    auth: authContext(service, config.service.auth),
    tcp: config.service.bind ? safeBind(config.service.bind, 'TCP service bind') : null,
    extraLines: config.service.extraLines.map((l) => safeConfigLine(l, `${service}'s extraLines`)),
    errorFiles: errorFileContext(config.service.errorFiles),
    timeouts: {
      connect: haproxyDuration(timeouts.connect),
      server: haproxyDuration(timeouts.server),
      tunnel: haproxyDuration(timeouts.tunnel),
    },
    stripPrefixes: [
      ...new Set(routes.filter((r) => r.stripPrefix && r.path).map((r) => safeHttpPath(r.path, 'route path'))),
    ],
    preview: previewContext(config, servers, layout),
    maintenance: config.service.mode === 'tcp' ? null : maintenanceContext(config),
  };
}

function maintenanceContext(config: Settings): BackendContext['maintenance'] {
  const { allowIps, allowHeader, allowToken } = config.service.maintenance;
  const cidr = (v: string) => {
    const [ip, bits] = v.split('/');
    safeIpv4(ip, 'maintenance allow address');
    if (bits !== undefined && !(Number(bits) >= 0 && Number(bits) <= 32)) safeIpv4(v, 'maintenance allow CIDR');
    return v;
  };
  return {
    map: maintenanceMapFile(config.haproxy.configFile),
    key: safeName(config.service.name, 'service name'),
    retryKey: retryKey(config.service.name),
    allowIps: allowIps.map(cidr),
    allowHeader: allowHeader === null ? null : safeToken(allowHeader, 'maintenance allow header'),
    allowToken: allowToken === null ? null : safeToken(allowToken, 'maintenance allow token'),
    allowed: allowIps.length > 0 || allowHeader !== null,
  };
}

/** The idle colour's preview route: one server per colour only (a server-template has no one name). */
function previewContext(config: Settings, servers: ServerContext[], layout: HaproxyLayout): BackendContext['preview'] {
  const preview = config.service.preview;
  const idle = servers.find((s) => !s.linked && !s.disabled);
  if (!preview || !idle || layout.slots !== null || config.service.mode === 'tcp') return null;
  const token = (value: string | null, what: string) => (value === null ? null : safeToken(value, what));
  return {
    idle: idle.name,
    header: token(preview.header, 'preview header'),
    cookie: token(preview.cookie, 'preview cookie'),
    token: token(preview.token, 'preview token'),
  };
}

/**
 * The context for one linked colour of this service. `layout` says how HAProxy reaches the
 * colours (chosen once by the composition root); `others` are the other services' backends,
 * built from their recorded state (several services behind one HAProxy).
 */
export function buildHaproxyContext(
  config: Settings,
  linked: Colour,
  observed: Observed,
  layout: HaproxyLayout = SINGLE_SERVER_LAYOUT,
  others: BackendContext[] = [],
  certificates: CertificateInfo[] = [],
): HaproxyContext {
  const own = buildBackendContext(config, linked, observed, layout);
  const byName = new Map([...others, own].map((b) => [b.service, b]));
  // Config order, so a deploy of one service does not reorder the file for the others.
  const backends = config.services.map((e) => byName.get(e.service.name)).filter((b) => b !== undefined);
  if (!backends.includes(own)) backends.push(own);
  return {
    service: own.service,
    frontend: config.multi ? 'fe_http' : `fe_${own.service}`,
    backend: own.backend,
    bind: safeBind(config.haproxy.bind, 'haproxy.bind'),
    linked,
    servers: own.servers,
    health: own.health,
    check: own.check,
    retries: own.retries,
    hardStopAfter: haproxyDuration(config.haproxy.hardStopAfter),
    adminSocket: safeFsPath(config.haproxy.adminSocket, 'haproxy.adminSocket'),
    backends,
    hasTcp: backends.some((b) => b.tcp !== null),
    ...stackContext(config, certificates),
    ...(layout.resolvers
      ? {
          resolvers: {
            host: safeIpv4(layout.resolvers.host, 'engine.nameserver address'),
            port: safePort(layout.resolvers.port, 'engine.nameserver port'),
          },
        }
      : {}),
    ...(layout.serverStateFile ? { serverStateFile: safeFsPath(layout.serverStateFile, 'server state file') } : {}),
  };
}
