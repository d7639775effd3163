import type { LiveJudgement } from './canary.js';
import { COLOURS, type Colour } from './colour.js';
import { LinkswitchError } from './errors.js';
import { type MaintenanceState, maintenanceMapFile, maintenanceOf } from './maintenance.js';
import type { ServerView, TaskView } from './ports.js';
import type { Runtime } from './runtime.js';
import type { State } from './state.js';
import { adoptionPreview, observe } from './state-source.js';

// `status`: what is linked and how each side is doing, read-only (no lock, no write).

export interface ColourStatus {
  colour: Colour;
  linked: boolean;
  image: string | null;
  container: string | null;
  running: boolean;
  health: string;
  deployedAt: string | null;
  haproxy: Pick<ServerView, 'status' | 'weight' | 'sessions' | 'checkStatus' | 'address' | 'members'> | null;
  /** Swarm engine: the colour's tasks and the nodes they run on. */
  tasks?: TaskView[];
}

export interface StatusReport {
  service: string;
  linked: Colour | null;
  generation: number;
  lastSwitchAt: string | null;
  pending: State['pending'];
  haproxy: { running: boolean; error: string | null };
  colours: ColourStatus[];
  /** No state file but a running stack: what `up` would adopt (or why it would refuse). */
  adoptable?: string;
  /** Maintenance mode, as its map on disk says (the runtime is set from the same values). */
  maintenance: MaintenanceState;
  /** A running canary's or watch window's figures at its last poll. */
  judgement: LiveJudgement | null;
  /** Certificates that need a person: expired, expiring within 14 days, not issued, failing. */
  certificates: string[];
}

/** Several services: every service's report, in config order. */
export interface StackStatusReport {
  services: StatusReport[];
}

/** Read-only: never takes the lock, never writes. */
export async function status(rt: Runtime): Promise<StatusReport> {
  const state = await rt.store.read();
  const adoptable = state ? null : await adoptionPreview(rt);
  const observed = await observe(rt);
  const running = await rt.haproxy.running();
  const map = (await rt.configFile.readMap(maintenanceMapFile(rt.config.haproxy.configFile))) ?? '';
  let servers: ServerView[] = [];
  let haproxyError: string | null = null;
  if (running) {
    try {
      servers = await rt.haproxy.servers();
    } catch (error) {
      haproxyError = error instanceof LinkswitchError ? error.shortMessage : String(error);
    }
  }
  return {
    ...(adoptable ? { adoptable } : {}),
    service: rt.config.service.name,
    linked: state?.linked ?? null,
    generation: state?.generation ?? 0,
    lastSwitchAt: state?.lastSwitchAt ?? null,
    pending: state?.pending ?? null,
    haproxy: { running, error: haproxyError },
    maintenance: maintenanceOf(map, rt.config.service.name),
    judgement: (await rt.canaryControl?.latest()) ?? null,
    // A certificate problem is reported, never a reason for status to fail.
    certificates: (await rt.certificateNotes?.().catch((error: unknown) => [String(error)])) ?? [],
    colours: COLOURS.map((colour) => {
      const container = observed[colour];
      const server = servers.find((s) => s.colour === colour);
      return {
        colour,
        linked: state?.linked === colour,
        image: container?.image ?? state?.colours[colour]?.image ?? null,
        container: container?.name ?? null,
        running: container?.running ?? false,
        health: container ? (container.running ? container.health : `exited (${container.exitCode ?? '?'})`) : 'absent',
        deployedAt: state?.colours[colour]?.deployedAt ?? null,
        haproxy: server
          ? {
              status: server.status,
              weight: server.weight,
              sessions: server.sessions,
              checkStatus: server.checkStatus,
              address: server.address,
              ...(server.members === undefined ? {} : { members: server.members }),
            }
          : null,
        ...(container?.tasks ? { tasks: container.tasks } : {}),
      };
    }),
  };
}
