import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COMPOSE_KEYS, REFUSED_KEYS } from '../src/config/schema-container.js';
import { configJsonSchema } from './config-schema.js';

// docs/config-reference.md: every key of linkswitch.yml with its type and default from the schema
// and its one line from docs/config-keys.yml (`npm run generate`). A test fails when the page is
// out of date, and when the schema and the descriptions do not name the same keys.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG_REFERENCE_FILE = path.join(ROOT, 'docs', 'config-reference.md');
export const CONFIG_KEYS_FILE = path.join(ROOT, 'docs', 'config-keys.yml');

/** Keys Compose has too that linkswitch describes itself (what it does with them differs). */
const LINKSWITCH_DESCRIBED = new Set(['image', 'command', 'labels']);

type Node = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: Node[];
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  required?: string[];
};

export interface SchemaKey {
  path: string;
  node: Node;
  required: boolean;
}

/** Every key path of the schema: `<name>` stands for a name the user chooses (a record's key). */
export function schemaKeys(): SchemaKey[] {
  const keys = new Map<string, SchemaKey>();
  const walk = (node: Node | undefined, at: string[]): void => {
    if (!node || typeof node !== 'object') return;
    for (const alternative of node.anyOf ?? []) walk(alternative, at);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const keyPath = [...at, key];
      // Compose's container keys are Compose's to describe: the key itself, not its inner forms.
      const name = keyPath.join('.');
      if (!keys.has(name)) keys.set(name, { path: name, node: child, required: node.required?.includes(key) ?? false });
      if (!(isServicePath(at) && COMPOSE_KEYS.has(key) && !LINKSWITCH_DESCRIBED.has(key))) walk(child, keyPath);
    }
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, [...at, '<name>']);
    if (node.items) walk(node.items, at);
  };
  walk(configJsonSchema() as Node, []);
  return [...keys.values()];
}

function isServicePath(at: string[]): boolean {
  return (at.length === 1 && at[0] === 'service') || (at.length === 2 && at[0] === 'services');
}

/** A service entry's key as it is described: under `service.` (both forms take the same keys). */
export function describedAs(keyPath: string, described: Record<string, string>): string {
  if (keyPath in described) return keyPath;
  return keyPath.replace(/^services\.<name>\./, 'service.');
}

/** What a key without a line in docs/config-keys.yml gets (the test refuses it). */
export const UNDESCRIBED = '(undescribed)';

export function readDescriptions(): Record<string, string> {
  return parse(readFileSync(CONFIG_KEYS_FILE, 'utf8')) as Record<string, string>;
}

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.anyOf) return [...new Set(node.anyOf.map(typeOf))].join(' | ');
  const type = Array.isArray(node.type) ? node.type.join(' | ') : (node.type ?? 'any');
  if (type === 'array' && node.items) return `list of ${typeOf(node.items)}`;
  if (type === 'object' && typeof node.additionalProperties === 'object' && !node.properties) return 'map';
  return type;
}

/** A duration key (a string like `30s`, or milliseconds) has its default in milliseconds. */
function defaultOf(node: Node): string | null {
  const value = node.default;
  if (value === undefined || typeof value === 'object') return null;
  const type = typeOf(node);
  if (typeof value === 'number' && type === 'string | number') return milliseconds(value);
  return JSON.stringify(value);
}

function milliseconds(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function line(key: SchemaKey, description: string): string {
  // linkswitch's own string-or-number keys are durations (`30s`, or milliseconds).
  const type = typeOf(key.node);
  const facts = [type === 'string | number' ? 'duration' : type];
  const fallback = defaultOf(key.node);
  if (key.required) facts.push('required');
  else if (fallback !== null) facts.push(`default ${fallback}`);
  return wrap(`- \`${key.path}\` (${facts.join('; ')}): ${description}`);
}

/** A list item folded at 100 columns, continued two spaces in (markdown joins the lines). */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const next = current ? `${current} ${word}` : word;
    if (next.length > width && current) {
      lines.push(current);
      current = `  ${word}`;
    } else current = next;
  }
  lines.push(current);
  return lines.join('\n');
}

/** The keys the page describes from docs/config-keys.yml (Compose's are listed apart). */
function ownKeys(): SchemaKey[] {
  return schemaKeys().filter((k) => !isComposeKey(k.path));
}

/** Keys of the schema without a line, and lines for keys the schema does not have. */
export function descriptionGaps(): { undescribed: string[]; unknown: string[] } {
  const described = readDescriptions();
  const paths = schemaKeys().map((k) => k.path);
  return {
    undescribed: ownKeys()
      .map((k) => k.path)
      .filter((p) => !(describedAs(p, described) in described)),
    unknown: Object.keys(described).filter((p) => !paths.includes(p)),
  };
}

export function configReferenceText(): string {
  const described = readDescriptions();
  const keys = schemaKeys();
  const own = ownKeys();
  const compose = keys.filter((k) => k.path.startsWith('service.') && isComposeKey(k.path));
  const sections = new Map<string, string[]>();
  for (const key of own) {
    // services.<name>.X with the same meaning as service.X is described once, under service.
    if (key.path.startsWith('services.<name>.') && !(key.path in described)) continue;
    const section = key.path.split('.')[0]!;
    const lines = sections.get(section) ?? [];
    lines.push(line(key, described[describedAs(key.path, described)] ?? UNDESCRIBED));
    sections.set(section, lines);
  }
  const composeLines = compose.map((key) => {
    const name = key.path.slice('service.'.length);
    const refused = REFUSED_KEYS[name];
    return wrap(
      refused ? `- \`${name}\`: refused: ${refused}` : `- \`${name}\` (${typeOf(key.node)}): Compose's \`${name}\``,
    );
  });
  return [
    '# Configuration reference',
    '',
    'Every key of `linkswitch.yml`: its type, its default, what it does. Generated by `npm run',
    'generate` from the schema linkswitch validates with and from `docs/config-keys.yml`;',
    '[configuration.md](configuration.md) explains the file as a whole. Durations are written',
    '`250ms`, `30s`, `2m`; relative paths are relative to the config file.',
    '',
    ...[...sections].flatMap(([section, lines]) => [`## ${section}`, '', ...lines, '']),
    "## Compose's container keys (under `service` and each `services` entry)",
    '',
    'In Compose\'s own names and forms ([containers.md](containers.md)); "refused" keys are',
    'errors, never ignored.',
    '',
    ...composeLines,
    '',
  ].join('\n');
}

function isComposeKey(keyPath: string): boolean {
  const match = /^(?:service|services\.<name>)\.([^.]+)$/.exec(keyPath);
  return match !== null && COMPOSE_KEYS.has(match[1]!) && !LINKSWITCH_DESCRIBED.has(match[1]!);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(CONFIG_REFERENCE_FILE, configReferenceText());
  console.log(`wrote ${path.relative(process.cwd(), CONFIG_REFERENCE_FILE)}`);
}
