// Compose's value forms, parsed the way Compose parses them: Go durations ("1m30s"), sizes
// ("512m", "1gb", bytes), command strings split into words (quotes and backslashes, never a
// shell), `KEY=VALUE` env files, and the short volume syntax. Pure functions; each returns
// undefined (or throws a plain Error with the reason) for the caller to turn into a config error.

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as Compose writes it ("1m30s", "10s", "1.5s", "500ms"); milliseconds, or undefined. */
export function parseGoDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * GO_UNITS[match[2]!]!;
    end = part.lastIndex;
  }
  return end === text.length && end > 0 ? Math.round(total) : undefined;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size as Compose takes it: bytes (number or digits), or "64k", "512m", "1.5g", "1gb". */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

// Inside double quotes a backslash escapes only these (POSIX); elsewhere it stays.
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`']);

/** Splits a command string into words as Compose does (shell-style quoting, no expansion, no shell). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && DOUBLE_QUOTE_ESCAPES.has(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/**
 * An env file as Compose reads it: `KEY=VALUE` lines, `#` comments and blank lines, an optional
 * `export `, values in single quotes (literal) or double quotes (\n and \" escapes), and ` #`
 * comments after unquoted values. A bare `KEY` takes the value from `lookup` (or is skipped).
 */
export function parseEnvFile(text: string, lookup: (key: string) => string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=(.*))?$/.exec(line);
    if (!match) throw new Error(`line ${n + 1} is not KEY=VALUE`);
    const key = match[1]!;
    if (match[2] === undefined) {
      const value = lookup(key);
      if (value !== undefined) env[key] = value;
      continue;
    }
    const raw = match[2].trim();
    if (raw.startsWith("'")) {
      const end = raw.indexOf("'", 1);
      if (end < 0) throw new Error(`line ${n + 1}: unclosed ' quote`);
      env[key] = raw.slice(1, end);
    } else if (raw.startsWith('"')) {
      const body = /^"((?:[^"\\]|\\.)*)"/.exec(raw);
      if (!body) throw new Error(`line ${n + 1}: unclosed " quote`);
      env[key] = body[1]!.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
    } else {
      env[key] = raw.replace(/\s+#.*$/, '');
    }
  }
  return env;
}

export interface ShortVolume {
  source: string | null;
  target: string;
  readOnly: boolean;
  /** A source that is a path (./, ../, /, ~): a bind mount; otherwise a named volume. */
  bind: boolean;
}

const VOLUME_MODES = ['ro', 'rw', 'z', 'Z', 'nocopy'];

/** `[SOURCE:]TARGET[:MODE]` where MODE is a comma list of ro/rw/z/Z/nocopy. */
export function parseShortVolume(text: string): ShortVolume {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new Error('use "source:/target[:ro]" or "/target"');
  let mode: string[] = [];
  const isMode = (p: string) => p.split(',').every((flag) => VOLUME_MODES.includes(flag));
  // "/target:ro" is a target and a mode; "name:/target" and "name:relative" a source and a target.
  if (parts.length === 3 || (parts.length === 2 && parts[0]!.startsWith('/') && isMode(parts[1]!)))
    mode = parts.pop()!.split(',');
  for (const flag of mode) if (!VOLUME_MODES.includes(flag)) throw new Error(`unknown volume mode "${flag}"`);
  const [first, second] = parts as [string, string | undefined];
  const source = second === undefined ? null : first;
  const target = second ?? first;
  if (!target.startsWith('/')) throw new Error(`the container path "${target}" must be absolute`);
  const bind = source !== null && /^(\.{1,2}(\/|$)|\/|~)/.test(source);
  return { source, target, readOnly: mode.includes('ro'), bind };
}

/** `KEY=VALUE` list items (environment, labels, sysctls) or a map, as one record; bare KEYs via lookup. */
export function keyValues(
  value: Record<string, unknown> | string[],
  lookup: (key: string) => string | undefined,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const at = item.indexOf('=');
      if (at < 0) out[item] = lookup(item) ?? null;
      else out[item.slice(0, at)] = item.slice(at + 1);
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    out[key] = item === null || item === undefined ? (lookup(key) ?? null) : String(item);
  }
  return out;
}
