import { COLOURS, type Colour } from './colour.js';
import { haproxyDuration } from './duration.js';
import { type HaproxyLayout, SINGLE_SERVER_LAYOUT } from './layout.js';
import type { Observed } from './plan.js';
import { safeFsPath, safeHost, safeHttpPath, safeIpv4, safeName, safePort, safeWeight } from './safe-values.js';
import type { Settings } from './settings.js';

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
  /** Swarm engine: rendered as `server-template <name> <slots> <host>:<port>` resolved through `resolvers`. */
  slots?: number;
}

export interface HaproxyContext {
  service: string;
  frontend: string;
  backend: string;
  bind: { address: string; port: number };
  linked: Colour;
  servers: ServerContext[];
  health: { path: string };
  check: { inter: string; rise: number; fall: number };
  retries: number;
  hardStopAfter: string;
  adminSocket: string;
  /** Swarm engine: the `resolvers docker` section (Docker's embedded DNS on the overlay network). */
  resolvers?: { host: string; port: number };
  /**
   * Swarm engine: where the servers' state (resolved task addresses, weights) is saved before a
   * reload, so the new worker starts with the old one's addresses instead of none until DNS answers.
   */
  serverStateFile?: string;
}

/** Backend and server names used both in haproxy.cfg and in runtime-API commands. */
export function backendName(service: string): string {
  return `be_${safeName(service, 'service name')}`;
}

/**
 * The context for one linked colour. `layout` says how HAProxy reaches the colours (chosen once
 * by the composition root); its values are checked again here like everything else.
 */
export function buildHaproxyContext(
  config: Settings,
  linked: Colour,
  observed: Observed,
  layout: HaproxyLayout = SINGLE_SERVER_LAYOUT,
): HaproxyContext {
  const service = safeName(config.service.name, 'service name');
  const [bindAddress = '', bindPort = ''] = config.haproxy.bind.split(':');
  const servers: ServerContext[] = [];
  for (const colour of COLOURS) {
    const address = observed[colour]?.address;
    // A colour without a running container has no server line; deploy stages it before use.
    if (!address) continue;
    const probe = observed[colour]?.probeAddress;
    servers.push({
      name: colour,
      host: safeHost(address.host, `${colour} address`),
      resolvesTo: probe && probe.host !== address.host ? safeHost(probe.host, `${colour} IP`) : null,
      port: safePort(address.port, `${colour} port`),
      weight: safeWeight(colour === linked ? LINKED_WEIGHT : IDLE_WEIGHT),
      linked: colour === linked,
      ...(layout.slots === null ? {} : { slots: layout.slots }),
    });
  }
  return {
    service,
    frontend: `fe_${service}`,
    backend: backendName(service),
    bind: { address: safeIpv4(bindAddress, 'haproxy.bind address'), port: safePort(bindPort, 'haproxy.bind port') },
    linked,
    servers,
    health: { path: safeHttpPath(config.health.path) },
    check: {
      inter: haproxyDuration(config.haproxy.check.inter),
      rise: config.haproxy.check.rise,
      fall: config.haproxy.check.fall,
    },
    retries: config.haproxy.retries,
    hardStopAfter: haproxyDuration(config.haproxy.hardStopAfter),
    adminSocket: safeFsPath(config.haproxy.adminSocket, 'haproxy.adminSocket'),
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
