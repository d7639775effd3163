// linkswitch's own names for four container keys that Compose names too. The container is
// described in Compose's vocabulary, so these old names are deprecated: they still work for this
// release, each with a one-line warning, and `linkswitch config migrate` rewrites them.

export interface RenamedKey {
  old: string;
  current: string;
  /** How a value is written under the current name (stopTimeout counted seconds). */
  convert?: (value: unknown) => unknown;
}

export const RENAMED_KEYS: readonly RenamedKey[] = [
  { old: 'env', current: 'environment' },
  { old: 'memory', current: 'mem_limit' },
  { old: 'stopTimeout', current: 'stop_grace_period', convert: (value) => `${value}s` },
  { old: 'pull', current: 'pull_policy' },
];

export interface DeprecatedKey {
  /** Where the service entry is: `service` or `services.<name>`. */
  where: string;
  key: RenamedKey;
}

/** The service entries of a config's data (`service:`, then each of `services:`), by path. */
export function serviceEntryPaths(data: unknown): Array<{ where: string; path: string[] }> {
  const root = (data ?? {}) as { service?: unknown; services?: unknown };
  const entries: Array<{ where: string; path: string[] }> = [];
  if (isMap(root.service)) entries.push({ where: 'service', path: ['service'] });
  if (isMap(root.services))
    for (const [name, entry] of Object.entries(root.services))
      if (isMap(entry)) entries.push({ where: `services.${name}`, path: ['services', name] });
  return entries;
}

/** Every old key the config's data uses, in config order. */
export function deprecatedKeys(data: unknown): DeprecatedKey[] {
  const found: DeprecatedKey[] = [];
  for (const { where, path } of serviceEntryPaths(data)) {
    const entry = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], data) as Record<
      string,
      unknown
    >;
    for (const key of RENAMED_KEYS) if (entry[key.old] !== undefined) found.push({ where, key });
  }
  return found;
}

/** The one line a user sees for an old key. */
export function deprecationMessage({ where, key }: DeprecatedKey): string {
  return (
    `${where}.${key.old} is deprecated and will be removed in the next release: use ${key.current} ` +
    '(`linkswitch config migrate` rewrites the file)'
  );
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
