import type { Colour } from './colour.js';
import { safeName } from './safe-values.js';
import type { Settings } from './settings.js';

/** `<service>-<colour>`: the Tutum convention, and what HAProxy uses as a host in network mode. */
export function containerName(service: string, colour: Colour): string {
  return `${safeName(service, 'service name')}-${colour}`;
}

export function containerNameFor(config: Settings, colour: Colour): string {
  return containerName(config.service.name, colour);
}

/** What a deploy renames the old idle container to until it is removed (adapters/retire.ts). */
export const RETIRED_INFIX = '-retired-';

/** A `<name>-retired-<time>` container: an old colour on its way out, never the colour itself. */
export function isRetiredName(container: string): boolean {
  return container.includes(RETIRED_INFIX);
}
