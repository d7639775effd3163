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
