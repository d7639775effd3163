import type { ZodTypeAny } from 'zod';
import { RENAMED_KEYS } from './deprecated-keys.js';

// An unknown key in the config is most often a typo of a known one: name the nearest valid key
// of that same object (`enviroment` → `environment`) and the docs page for its section.

/** The keys an object of the schema takes at `path` (record keys and array indexes pass through). */
export function knownKeysAt(schema: ZodTypeAny, path: ReadonlyArray<string | number>): string[] {
  let nodes = candidates(schema);
  for (const segment of path) {
    nodes = nodes.flatMap((node) => {
      const def = node._def as { typeName?: string; valueType?: ZodTypeAny; type?: ZodTypeAny };
      if (def.typeName === 'ZodObject') {
        const child = shapeOf(node)[segment];
        return child ? candidates(child) : [];
      }
      if (def.typeName === 'ZodRecord' && def.valueType) return candidates(def.valueType);
      if (def.typeName === 'ZodArray' && def.type) return candidates(def.type);
      return [];
    });
  }
  return [...new Set(nodes.filter((n) => n._def.typeName === 'ZodObject').flatMap((n) => Object.keys(shapeOf(n))))];
}

function shapeOf(node: ZodTypeAny): Record<string, ZodTypeAny> {
  return (node as unknown as { shape: Record<string, ZodTypeAny> }).shape;
}

/** What a schema can be, through optional, default, nullable, lazy, effects and unions. */
function candidates(schema: ZodTypeAny, depth = 0): ZodTypeAny[] {
  if (depth > 20) return [];
  const def = schema._def as {
    typeName?: string;
    innerType?: ZodTypeAny;
    schema?: ZodTypeAny;
    getter?: () => ZodTypeAny;
    options?: ZodTypeAny[] | Map<unknown, ZodTypeAny>;
  };
  if (def.innerType) return candidates(def.innerType, depth + 1);
  if (def.typeName === 'ZodEffects' && def.schema) return candidates(def.schema, depth + 1);
  if (def.typeName === 'ZodLazy' && def.getter) return candidates(def.getter(), depth + 1);
  if ((def.typeName === 'ZodUnion' || def.typeName === 'ZodDiscriminatedUnion') && def.options)
    return [...def.options.values()].flatMap((option) => candidates(option, depth + 1));
  return [schema];
}

/** The known key nearest to `key` (edit distance, case-insensitive), when it is near enough to be a typo. */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const deprecated = new Set(RENAMED_KEYS.map((k) => k.old));
  let best: { key: string; distance: number } | null = null;
  for (const candidate of known) {
    if (deprecated.has(candidate)) continue;
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  if (!best) return null;
  // About a third of the word may differ: `enviroment` → `environment`, never `a` → `port`.
  return best.distance <= Math.max(1, Math.floor(Math.max(key.length, best.key.length) / 3)) ? best.key : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The docs page that explains the section a key path is in. */
export function docsPageFor(path: ReadonlyArray<string | number>): string {
  const [top, second, third] = path.map(String);
  if (path.includes('canary') || path.includes('watch') || path.includes('slowStart'))
    return 'docs/progressive-delivery.md';
  if (path.includes('hooks')) return 'docs/containers.md#deploy-hooks';
  if (path.includes('compose')) return 'docs/containers.md';
  if (top === 'haproxy' && second === 'tls') return 'docs/https.md';
  if (top === 'engine') return 'docs/swarm.md';
  if (top === 'services' && third === undefined) return 'docs/services-and-routing.md';
  if (top === 'service' || top === 'services') return 'docs/containers.md';
  return 'docs/configuration.md';
}
