import path from 'node:path';
import { swarmUnsupportedKey } from '../adapters/container-options.js';
import { DockerEngine } from '../adapters/docker.js';
import { DockerEventSource } from '../adapters/docker-event-stream.js';
import { SwarmEngine } from '../adapters/swarm.js';
import { ConfigError } from '../core/errors.js';
import { type HaproxyLayout, SINGLE_SERVER_LAYOUT } from '../core/layout.js';
import type { ColourEventSource, DockerPort } from '../core/ports.js';
import { safeFsPath, safeIpv4, safePort } from '../core/safe-values.js';
import type { Settings, SwarmSettings } from '../core/settings.js';

// The one module that reads `engine.kind`. It builds everything that differs between running
// the colours as single containers and as Swarm services, once; the core, the HAProxy adapter,
// the renderer and the sidecar receive the result and never ask which engine they run on.

export interface Engine {
  /** For logs and `status` only: nothing may branch on it. */
  readonly kind: 'container' | 'swarm';
  /** What runs the colours, in words (`config check`). */
  readonly summary: string;
  readonly docker: DockerPort;
  /** Docker's events for the colours, or null where the engine heals the colours itself. */
  readonly events: ColourEventSource | null;
  /** Why `events` is null, said once in the sidecar's log. */
  readonly eventsAbsentReason: string | null;
  readonly layout: HaproxyLayout;
  /**
   * True when HAProxy runs in a container of its own (Swarm: it must reach Docker's DNS on the
   * overlay network): linkswitch shares its sockets but never starts or stops its process.
   */
  readonly haproxyExternal: boolean;
}

/** The Docker network HAProxy reaches the colours on, when it is a named one. */
export function colourNetwork(settings: Settings): string | null {
  if (settings.engine?.kind === 'swarm') return settings.engine.network;
  return settings.network.mode === 'network' ? settings.network.name : null;
}

/** server-template slots per colour for the Swarm engine: room for tasks being replaced. */
export function swarmSlots(engine: Pick<SwarmSettings, 'replicas' | 'slots'>): number {
  return engine.slots ?? engine.replicas * 2;
}

/** Beside the live haproxy.cfg (the directory HAProxy's container shares with linkswitch). */
export function serverStateFileFor(settings: Settings): string {
  return path.join(path.dirname(settings.haproxy.configFile), 'servers.state');
}

function nameserverOf(value: string): { host: string; port: number } {
  const [host = '', port = ''] = value.split(':');
  return { host: safeIpv4(host, 'engine.nameserver address'), port: safePort(port, 'engine.nameserver port') };
}

/** What HAProxy needs to reach a Swarm colour's tasks through Docker's DNS. */
export function swarmLayout(settings: Settings, swarm: SwarmSettings): HaproxyLayout {
  return {
    slots: swarmSlots(swarm),
    replicas: swarm.replicas,
    resolvers: nameserverOf(swarm.nameserver),
    serverStateFile: safeFsPath(serverStateFileFor(settings), 'server state file'),
    serverStateCarry: 'all',
  };
}

/** One server per colour, with the serving servers' health carried across reloads. */
export function containerLayout(settings: Settings): HaproxyLayout {
  return {
    ...SINGLE_SERVER_LAYOUT,
    serverStateFile: safeFsPath(serverStateFileFor(settings), 'server state file'),
    serverStateCarry: 'serving',
  };
}

/** Settings that only one engine can honour are refused here, never silently ignored. */
function checkSwarmSettings(settings: Settings): void {
  const file = settings.file;
  if (settings.multi) {
    // Not built yet: one resolvers section and server-state file per stack is planned, untested.
    throw new ConfigError(`${file}: \`services:\` is not available with engine.kind "swarm" yet`, {
      fix: 'use the container engine for several services, or one `service:` config per Swarm stack',
    });
  }
  if (settings.health.use === 'http') {
    // The tasks' IPs are on the overlay network, which the controller need not reach.
    throw new ConfigError(`${file}: health.use "http" is not available with engine.kind "swarm"`, {
      fix:
        'use "auto" or "docker": give the image a Docker HEALTHCHECK (Swarm gates each task on it); HAProxy\'s ' +
        'own check is the second gate',
    });
  }
  const unsupported = swarmUnsupportedKey(settings.service.container);
  if (unsupported)
    throw new ConfigError(`${file}: service.${unsupported} is not available with engine.kind "swarm"`, {
      fix: `remove ${unsupported}: Swarm's task spec has no such field (engine.kind container supports it)`,
    });
  if (settings.service.pull !== 'missing') {
    // Every node pulls the image itself when a task lands on it; the manager cannot decide that.
    throw new ConfigError(
      `${file}: service.pull "${settings.service.pull}" is not available with engine.kind "swarm"`,
      {
        fix: 'remove service.pull: each Swarm node pulls a missing image itself when a task is placed on it',
      },
    );
  }
}

export function chooseEngine(settings: Settings): Engine {
  const engine = settings.engine;
  if (engine?.kind === 'swarm') {
    checkSwarmSettings(settings);
    return {
      kind: 'swarm',
      summary: `swarm, ${engine.replicas} replicas per colour on ${engine.network}`,
      docker: new SwarmEngine(settings, engine),
      events: null,
      eventsAbsentReason: 'Swarm restarts failed tasks itself; failover on container events is left to Swarm',
      layout: swarmLayout(settings, engine),
      haproxyExternal: true,
    };
  }
  const docker = new DockerEngine(settings);
  const { network } = settings;
  return {
    kind: 'container',
    summary: `one container per colour, ${network.mode === 'published' ? `published on ${network.hostIp}` : `on network ${network.name}`}`,
    docker,
    events: new DockerEventSource(
      docker.client,
      settings.services.map((e) => e.service.name),
    ),
    eventsAbsentReason: null,
    layout: containerLayout(settings),
    haproxyExternal: false,
  };
}
