import { COLOURS, type Colour, isColour } from './colour.js';
import { AmbiguousWorldError } from './errors.js';
import type { Observed } from './plan.js';
import type { ServerView } from './ports.js';
import { initialState, type State } from './state.js';

// The running stack is the truth. When the state file is gone (a recreated volume, a fresh
// checkout, a mistaken rm) or unreadable while a stack serves, the state is rebuilt from what is
// running, never invented over it: the linked colour from HAProxy's live weights, or, with
// HAProxy down, from the live haproxy.cfg and the containers. Where the world does not say one
// thing, nothing is guessed: AmbiguousWorldError, and nothing changes.

export interface World {
  service: string;
  observed: Observed;
  /** HAProxy's view of the service's backend; null when HAProxy is not running. */
  servers: ServerView[] | null;
  /** The live haproxy.cfg, or null when there is none. */
  liveConfig: string | null;
  /** The backend the service's servers are in (`be_<service>`). */
  backend: string;
  now: Date;
}

export type Adoption = { kind: 'fresh' } | { kind: 'adopted'; state: State; summary: string };

/** Which colours have weight in the service's backend of a haproxy.cfg text. */
export function weightedInConfig(text: string, backend: string): Colour[] {
  const weighted = new Set<Colour>();
  let inBackend = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (/^(backend|frontend|listen|defaults|global|resolvers|userlist|peers)\b/.test(line)) {
      inBackend = line === `backend ${backend}`;
      continue;
    }
    if (!inBackend) continue;
    // `server blue 127.0.0.1:32001 weight 100` or `server-template blue 4 tasks…:8080 weight 100 …`
    const match = /^server(?:-template)?\s+(blue|green)\b.*\bweight\s+(\d+)/.exec(line);
    if (match && Number(match[2]) > 0 && isColour(match[1])) weighted.add(match[1]);
  }
  return COLOURS.filter((c) => weighted.has(c));
}

function hasBackend(text: string, backend: string): boolean {
  return text.split('\n').some((raw) => raw.replace(/#.*$/, '').trim() === `backend ${backend}`);
}

function refuse(what: string): never {
  throw new AmbiguousWorldError(`no usable state file, and ${what}: linkswitch will not guess which colour serves`, {
    fix:
      'restore the state file from a backup, or make the world unambiguous (e.g. stop the colour that ' +
      'must not serve) and run `linkswitch up` again; nothing was changed',
  });
}

function linkedFromServers(servers: ServerView[]): Colour {
  const weighted = servers.filter((s) => s.weight > 0).map((s) => s.colour);
  if (servers.length === 0) refuse("HAProxy runs without this service's servers (its config is for another stack)");
  if (weighted.length === 1) return weighted[0]!;
  refuse(weighted.length === 0 ? 'HAProxy gives neither colour any weight' : 'HAProxy gives both colours weight');
}

/** Decides what the world says; pure. */
export function adoptWorld(world: World): Adoption {
  const { observed, liveConfig, service } = world;
  // A colour without a container is a placeholder server in maintenance at weight 0: not a server
  // that ever served, so it says nothing about which colour is linked.
  const servers = world.servers?.filter((s) => !(s.status.startsWith('MAINT') && s.weight === 0)) ?? null;
  const present = COLOURS.filter((c) => observed[c] !== null);
  for (const colour of present) {
    const owner = observed[colour]?.owner;
    if (owner && owner.service !== null && owner.service !== service) {
      refuse(`container ${observed[colour]?.name} carries the labels of service "${owner.service}"`);
    }
  }
  if (servers === null && present.length === 0) return { kind: 'fresh' };
  // Several services behind one HAProxy: this one's backend is there, empty, because the others
  // were brought up first. Nothing of it runs: it was never brought up, there is nothing to adopt.
  if (present.length === 0 && servers?.length === 0 && liveConfig !== null && hasBackend(liveConfig, world.backend))
    return { kind: 'fresh' };
  let linked: Colour;
  let source: string;
  const inConfig = liveConfig === null ? null : weightedInConfig(liveConfig, world.backend);
  if (servers !== null) {
    linked = linkedFromServers(servers);
    source = "HAProxy's live weights";
    if (inConfig !== null && (inConfig.length !== 1 || inConfig[0] !== linked)) {
      refuse(
        `HAProxy serves ${linked} but the live haproxy.cfg gives weight to ` +
          (inConfig.join(' and ') || 'neither colour'),
      );
    }
  } else if (inConfig !== null && inConfig.length === 1) {
    linked = inConfig[0]!;
    source = 'the live haproxy.cfg (HAProxy is not running)';
  } else if (inConfig !== null && inConfig.length > 1) {
    refuse('the live haproxy.cfg gives both colours weight');
  } else if (present.length === 1) {
    linked = present[0]!;
    source = `the only colour container (${observed[linked]?.name}); HAProxy is not running`;
  } else {
    refuse('HAProxy is not running, there is no usable haproxy.cfg, and both colour containers exist');
  }
  if (!observed[linked]) refuse(`${source} links ${linked}, whose container does not exist`);
  const state: State = { ...initialState(service), linked, generation: observed[linked]?.owner?.generation ?? 1 };
  for (const colour of present) {
    const container = observed[colour]!;
    state.colours[colour] = { image: container.image, container: container.name, deployedAt: world.now.toISOString() };
  }
  const image = state.colours[linked]?.image;
  return {
    kind: 'adopted',
    state,
    summary: `adopted the running stack from ${source}: ${linked} linked (${image}), generation ${state.generation}`,
  };
}
