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
  /** Where the servers' resolved addresses are saved before a reload (server-state-file). */
  serverStateFile: string | null;
}

/** One server per colour, addressed directly: the container engine's layout. */
export const SINGLE_SERVER_LAYOUT: HaproxyLayout = {
  slots: null,
  replicas: null,
  resolvers: null,
  serverStateFile: null,
};

/** The colour's server, or every member of its server-template (blue1…blueN). */
export function serverNames(layout: HaproxyLayout, colour: Colour): string[] {
  if (layout.slots === null) return [colour];
  return Array.from({ length: layout.slots }, (_, i) => `${colour}${i + 1}`);
}
