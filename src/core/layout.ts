import type { Colour } from './colour.js';

// How HAProxy reaches the colours. It differs by engine (one server per colour for containers,
// a DNS server-template per colour for Swarm tasks), and the composition root chooses it once:
// the core, the renderer's context and the HAProxy adapter read this value and never the engine.

export interface HaproxyLayout {
  /** null: one `server <colour>` line; N: `server-template <colour> N` resolved through DNS. */
  slots: number | null;
  /**
   * How many servers of a colour must have an address for it to count as UP (Swarm: the
   * configured replicas); null: a single server per colour.
   */
  replicas: number | null;
  /** The `resolvers` section HAProxy uses for the templates' names (Docker's embedded DNS). */
  resolvers: { host: string; port: number } | null;
  /** Where the running worker's server state is handed to the reloaded one (server-state-file). */
  serverStateFile: string | null;
  /**
   * What is handed over. all: every server (Swarm: the task addresses DNS gave the old worker).
   * serving: only servers the new config leaves unchanged and serving, so a proven linked
   * colour keeps its health (server-state.ts); the file is emptied again after the reload.
   */
  serverStateCarry: 'all' | 'serving';
}

/** One server per colour, addressed directly: the container engine's layout. */
export const SINGLE_SERVER_LAYOUT: HaproxyLayout = {
  slots: null,
  replicas: null,
  resolvers: null,
  serverStateFile: null,
  serverStateCarry: 'serving',
};

/** The colour's server, or every member of its server-template (blue1…blueN). */
export function serverNames(layout: HaproxyLayout, colour: Colour): string[] {
  if (layout.slots === null) return [colour];
  return Array.from({ length: layout.slots }, (_, i) => `${colour}${i + 1}`);
}
