import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A linkswitch on the host holds HAProxy's admin socket and the Docker API: running it on a
// Node that no longer gets security fixes deserves a word. Debian 12's own Node is 20, whose
// support ended in April 2026, so the warning is said once per Node version and user (a marker
// file in the user's cache directory), not on every command.

/** End of life of each Node release line (nodejs.org/en/about/previous-releases). */
const END_OF_LIFE: Readonly<Record<number, string>> = {
  18: '2025-04-30',
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
};

/** The one-line warning for a Node version at a date, or null while that line is supported. */
export function endOfLifeWarning(version: string, today: Date): string | null {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const endOfLife = END_OF_LIFE[major];
  // Unknown lines: older ones are refused by `engines`, newer ones are not past their end yet.
  if (!endOfLife || today.getTime() <= Date.parse(`${endOfLife}T23:59:59Z`)) return null;
  return (
    `linkswitch: warning: Node ${version} reached its end of life on ${endOfLife} and gets no security ` +
    'fixes; run linkswitch on Node 24 LTS (this warning is shown once per Node version)\n'
  );
}

/** Where the "already warned" markers live: $XDG_CACHE_HOME/linkswitch, else ~/.cache/linkswitch. */
export function markerPath(env: NodeJS.ProcessEnv, version: string): string {
  const base = env.XDG_CACHE_HOME?.trim() || path.join(env.HOME?.trim() || os.homedir(), '.cache');
  return path.join(base, 'linkswitch', `node-end-of-life-${version}`);
}

/**
 * Writes the warning to stderr the first time this user runs linkswitch on an end-of-life Node.
 * LINKSWITCH_NODE_WARNING=off silences it. When the marker cannot be written (a read-only home)
 * the warning is said every time: too often beats never.
 */
export function warnOnceIfEndOfLife(
  env: NodeJS.ProcessEnv = process.env,
  version: string = process.version,
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  if (env.LINKSWITCH_NODE_WARNING?.trim() === 'off') return;
  const warning = endOfLifeWarning(version, new Date());
  if (!warning) return;
  const marker = markerPath(env, version);
  try {
    mkdirSync(path.dirname(marker), { recursive: true });
    // 'wx': only the process that creates the marker warns, however many start at once.
    writeFileSync(marker, `${new Date().toISOString()}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
  }
  write(warning);
}
