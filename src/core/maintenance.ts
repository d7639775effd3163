import path from 'node:path';
import { ConfigError } from './errors.js';
import type { Runtime } from './runtime.js';
import { safeFsPath, safeName } from './safe-values.js';

// Maintenance mode without a reload: every HTTP backend answers 503 while its service's key is
// in one map file (maps/maintenance.map), which `linkswitch maintenance on|off` changes on disk
// (for later reloads) and in the running HAProxy (`add map`/`del map` on the runtime API). The
// colours keep running; an allow-list (addresses, a header with a token) still reaches the app.

/** The page's message when none is given: the service's own 503 error page is answered instead. */
export const DEFAULT_PAGE = '-';
const MESSAGE = /^[A-Za-z0-9 .,!?:()-]{1,200}$/;

export function maintenanceMapFile(configFile: string): string {
  return safeFsPath(path.join(path.dirname(configFile), 'maps', 'maintenance.map'), 'maintenance map');
}

export function retryKey(service: string): string {
  return `${safeName(service, 'service name')}.retry-after`;
}

export interface MaintenanceState {
  on: boolean;
  message: string | null;
  retryAfterS: number | null;
}

/** Reads a service's entries out of the map's text. */
export function maintenanceOf(mapText: string, service: string): MaintenanceState {
  const entries = new Map(
    mapText
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => [l.slice(0, l.indexOf(' ') < 0 ? l.length : l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
  );
  const message = entries.get(service);
  const retry = entries.get(retryKey(service));
  return {
    on: message !== undefined,
    message: message === undefined || message === DEFAULT_PAGE ? null : message,
    retryAfterS: retry === undefined ? null : Number(retry),
  };
}

/** The map's text with a service's entries set (on) or removed (off); other services' kept. */
export function withMaintenance(mapText: string, service: string, state: MaintenanceState): string {
  const keys = new Set([service, retryKey(service)]);
  const lines = mapText.split('\n').filter((l) => l.trim() !== '' && !keys.has(l.split(' ')[0]!));
  if (state.on) {
    lines.push(`${service} ${state.message ?? DEFAULT_PAGE}`);
    if (state.retryAfterS !== null) lines.push(`${retryKey(service)} ${state.retryAfterS}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

export function checkMessage(message: string): string {
  if (MESSAGE.test(message)) return message;
  throw new ConfigError(`maintenance: invalid --message ${JSON.stringify(message.slice(0, 60))}`, {
    fix: 'use up to 200 letters, digits, spaces and . , ! ? : ( ) -',
  });
}

export async function setMaintenance(rt: Runtime, wanted: MaintenanceState): Promise<MaintenanceState> {
  if (rt.config.service.mode === 'tcp')
    throw new ConfigError(`maintenance: ${rt.config.service.name} is a TCP service`, {
      fix: 'maintenance mode answers HTTP requests; stop the TCP service with `linkswitch down <service>`',
    });
  if (wanted.message !== null) checkMessage(wanted.message);
  const file = maintenanceMapFile(rt.config.haproxy.configFile);
  const service = rt.config.service.name;
  const held = (await rt.configLock?.acquire('maintenance')) ?? null;
  try {
    // The file first: a reload from now on serves the same answer as the runtime change below.
    const current = (await rt.configFile.readMap(file)) ?? '';
    await rt.configFile.writeMaps([{ file, text: withMaintenance(current, service, wanted) }]);
    if (await rt.haproxy.running()) {
      await rt.haproxy.setMapEntry(file, service, wanted.on ? (wanted.message ?? DEFAULT_PAGE) : null);
      await rt.haproxy.setMapEntry(
        file,
        retryKey(service),
        wanted.on && wanted.retryAfterS !== null ? String(wanted.retryAfterS) : null,
      );
    }
  } finally {
    await held?.release();
  }
  rt.progress.phase('maintenance', { service, on: wanted.on });
  return wanted;
}
