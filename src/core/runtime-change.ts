import { connectAddress } from './server-state.js';

// Runtime API or reload? HAProxy can change a server's address, port, weight and maintenance
// state at runtime, so a new haproxy.cfg that differs from the file on disk only in server lines
// of that kind is applied through the runtime API and written without a reload: no worker is
// replaced, so WebSockets, long downloads and TLS session caches survive. Anything else that
// differs (a route, a map, a certificate, a check setting, a new or removed server, a template
// edit) is a reload. A line this file does not recognise is a reload too: when in doubt, reload.

/** One `server` line as the shipped template writes it (servers.hbs). */
export interface ServerLine {
  backend: string;
  server: string;
  /** The IP HAProxy connects to: the line's address, or the IP a name resolves to (its comment). */
  address: string;
  port: number;
  weight: number;
  /** `disabled`: a colour without a container, kept as a placeholder in maintenance. */
  disabled: boolean;
  /** A member of a `server-template` (Swarm): DNS sets its address; only its weight is ours. */
  dns: boolean;
}

/** A `server-template` line (Swarm): only its weight can change at runtime. */
interface TemplateLine {
  backend: string;
  prefix: string;
  slots: number;
  weight: number;
}

export type ConfigChange =
  | { kind: 'same' }
  /** backends: those whose server lines differ; servers: every server line of the new text. */
  | { kind: 'runtime'; backends: string[]; servers: ServerLine[] }
  | { kind: 'reload'; reason: string };

const HEADER = /^# Service (\S+): (?:blue|green) linked$/;
const SECTION =
  /^(frontend|backend|listen|defaults|global|resolvers|userlist|peers|cache|program|ring|http-errors|mailers)\b\s*(\S*)/;
const SERVER =
  /^\s+server\s+([A-Za-z0-9_.-]+)\s+([A-Za-z0-9_.-]+):(\d+)\s+weight\s+(\d+)(\s+disabled)?(?:\s+#\s*resolves to\s+(\S+))?\s*$/;
const TEMPLATE =
  /^(\s+server-template\s+([A-Za-z0-9_.-]+)\s+(\d+)\s+\S+\s+weight\s+)(\d+)(\s+resolvers\s+\S+\s+init-addr\s+\S+\s*)$/;

/** Parses a server line of `backend`; null when it is not in the shipped template's form. */
export function parseServerLine(line: string, backend: string): ServerLine | null {
  const m = SERVER.exec(line);
  if (!m) return null;
  const [, server = '', host = '', port = '', weight = '', disabled, resolved] = m;
  const address = connectAddress(host, resolved);
  if (address === null) return null;
  return {
    backend,
    server,
    address,
    port: Number(port),
    weight: Number(weight),
    disabled: disabled !== undefined,
    dns: false,
  };
}

function parseTemplateLine(line: string, backend: string): (TemplateLine & { rest: string }) | null {
  const m = TEMPLATE.exec(line);
  if (!m) return null;
  const [, head = '', prefix = '', slots = '', weight = '', tail = ''] = m;
  return { backend, prefix, slots: Number(slots), weight: Number(weight), rest: `${head}|${tail}` };
}

/** Every server line of a config, per backend (shipped-template form only). */
export function serverLines(text: string): ServerLine[] {
  const found: ServerLine[] = [];
  let backend: string | null = null;
  for (const line of text.split('\n')) {
    const section = SECTION.exec(line);
    if (section) backend = section[1] === 'backend' ? (section[2] ?? null) : null;
    if (!backend) continue;
    const server = parseServerLine(line, backend);
    if (server) found.push(server);
    const template = parseTemplateLine(line, backend);
    if (template) {
      for (let i = 1; i <= template.slots; i++)
        found.push({
          backend,
          server: `${template.prefix}${i}`,
          address: '',
          port: 0,
          weight: template.weight,
          disabled: false,
          dns: true,
        });
    }
  }
  return found;
}

/** Why two differing lines cannot be reconciled at runtime, or null when they can. */
function lineProblem(before: string, after: string, section: string): string | null {
  const hb = HEADER.exec(before);
  const ha = HEADER.exec(after);
  if (hb && ha && hb[1] === ha[1]) return null;
  const backend = section.startsWith('backend ') ? section.slice('backend '.length) : null;
  if (backend) {
    const sb = parseServerLine(before, backend);
    const sa = parseServerLine(after, backend);
    if (sb && sa && sb.server === sa.server) return null;
    const tb = parseTemplateLine(before, backend);
    const ta = parseTemplateLine(after, backend);
    if (tb && ta && tb.rest === ta.rest) return null;
  }
  return `"${after.trim()}"${section ? ` in ${section}` : ''} changed`;
}

/**
 * How `after` reaches a HAProxy that runs `before` (the file on disk, which it matches): not at
 * all, through the runtime API (only server addresses, ports, weights or placeholders changed),
 * or with a reload (anything else, with the reason).
 */
export function decideConfigChange(before: string | null, after: string): ConfigChange {
  if (before === null) return { kind: 'reload', reason: 'there is no haproxy.cfg on disk yet' };
  if (before === after) return { kind: 'same' };
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) return { kind: 'reload', reason: 'lines were added or removed' };
  const backends = new Set<string>();
  let section = '';
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as string, b[i] as string];
    const opened = SECTION.exec(y);
    if (opened) section = `${opened[1]} ${opened[2]}`.trim();
    if (x === y) continue;
    const problem = lineProblem(x, y, section);
    if (problem) return { kind: 'reload', reason: problem };
    if (section.startsWith('backend ')) backends.add(section.slice('backend '.length));
  }
  return { kind: 'runtime', backends: [...backends], servers: serverLines(after) };
}
