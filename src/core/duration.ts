// Durations in config and flags are written the way people write them ("500ms", "30s", "2m");
// internally everything is milliseconds.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "1.5s", "2m" or a bare number of milliseconds; returns undefined if invalid. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = UNITS[match[2] ?? 'ms'] ?? 1;
  return Math.round(amount * unit);
}

/** HAProxy accepts durations with a unit suffix; milliseconds are always exact. */
export function haproxyDuration(ms: number): string {
  return `${Math.round(ms)}ms`;
}
