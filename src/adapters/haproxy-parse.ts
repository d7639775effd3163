import { isColour } from '../core/colour.js';
import type { ServerView } from '../core/ports.js';

// Parsers for HAProxy's CLI output. Kept pure and version-tolerant: 2.6 and 3.x differ in
// spacing and in extra columns, so columns are found by header name, not position.

export interface ProcInfo {
  masterPid: number;
  reloads: number;
  /** Failed reloads as counted by the master (absent in some versions: then 0). */
  failed: number;
  workers: Array<{ pid: number; reloads: number }>;
}

/** Parses `show proc` from the master CLI. */
export function parseShowProc(text: string): ProcInfo | null {
  let master: ProcInfo | null = null;
  const workers: ProcInfo['workers'] = [];
  let section: 'head' | 'workers' | 'other' = 'head';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) {
      if (/^# workers/i.test(trimmed)) section = 'workers';
      else if (!trimmed.startsWith('#<')) section = 'other';
      continue;
    }
    const fields = trimmed.split(/\s+/);
    if (fields.length < 3) continue;
    const [pid, type, reloads] = fields;
    if (type === 'master') {
      const failed = /\[failed:\s*(\d+)\]/.exec(trimmed);
      master = { masterPid: Number(pid), reloads: Number(reloads), failed: failed ? Number(failed[1]) : 0, workers };
    } else if (type === 'worker' && section === 'workers') {
      workers.push({ pid: Number(pid), reloads: Number(reloads) });
    }
  }
  return master;
}

/** Splits one CSV line; HAProxy quotes fields that contain commas or quotes (e.g. check text). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/**
 * Parses `show stat` CSV into the servers of one backend. Servers of a `server-template`
 * (`blue1`, `blue2`, … in the Swarm engine) are folded into one view per colour; `expectedMembers`
 * (the configured replicas) then makes a colour with fewer addressed servers count as not UP.
 */
export function parseShowStat(text: string, backend: string, expectedMembers?: number): ServerView[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const columns = header.slice(2).split(',');
  const col = (name: string) => columns.indexOf(name);
  const [px, sv, status, weight, addr, scur, check] = [
    'pxname',
    'svname',
    'status',
    'weight',
    'addr',
    'scur',
    'check_status',
  ].map(col);
  const servers: ServerView[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = splitCsvLine(line);
    const raw = f[sv!] ?? '';
    const name = templateColour(raw);
    if (f[px!] !== backend || !isColour(name)) continue;
    const n = (column: string) => Number(f[col(column)] ?? 0) || 0;
    servers.push({
      ...(name !== raw ? { members: 1 } : {}),
      colour: name,
      status: f[status!] ?? '',
      weight: Number(f[weight!] ?? 0),
      address: addr! >= 0 ? (f[addr!] ?? '') : '',
      sessions: Number(f[scur!] ?? 0),
      checkStatus: check! >= 0 ? (f[check!] ?? '') : '',
      counters: {
        responses: ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'].reduce(
          (t, c) => t + n(c),
          0,
        ),
        http5xx: n('hrsp_5xx'),
        errResp: n('eresp'),
        errConn: n('econ'),
        retries: n('wretr'),
        redispatches: n('wredis'),
        rtimeMs: n('rtime'),
      },
    });
  }
  return foldTemplates(servers, expectedMembers);
}

/** `blue` → blue, `blue3` → blue (a server-template member); anything else unchanged. */
function templateColour(server: string): string {
  return /^(blue|green)\d+$/.exec(server)?.[1] ?? server;
}

/** One view per colour from its template members (views without `members` pass through). */
function foldTemplates(servers: ServerView[], expected = 1): ServerView[] {
  const plain = servers.filter((s) => s.members === undefined);
  const byColour = new Map<string, ServerView[]>();
  for (const s of servers) if (s.members !== undefined) byColour.set(s.colour, [...(byColour.get(s.colour) ?? []), s]);
  const folded: ServerView[] = [];
  for (const group of byColour.values()) {
    // A member without an address (waiting for DNS) is in MAINT "(resolution)": not a task.
    const active = group.filter((s) => s.address !== '' && !/resolution/i.test(s.status));
    const first = group[0]!;
    if (active.length === 0) {
      folded.push({
        ...first,
        status: first.status || 'MAINT (resolution)',
        address: '',
        sessions: sum(group),
        members: 0,
        checkStatus: '',
      });
      continue;
    }
    // The weakest member speaks for the colour: DOWN first, then one not yet at full health.
    const notUp = active.find((s) => !s.status.startsWith('UP')) ?? active.find((s) => s.status !== 'UP');
    const notChecked = active.find((s) => !/^L\dOK/.test(s.checkStatus));
    const status = notUp
      ? notUp.status
      : active.length < expected
        ? `DOWN (${active.length}/${expected} tasks resolved)`
        : active[0]!.status;
    folded.push({
      colour: first.colour,
      status,
      weight: Math.max(...active.map((s) => s.weight)),
      address: active.map((s) => s.address).join(' '),
      sessions: sum(group),
      checkStatus: (notChecked ?? active[0]!).checkStatus,
      members: active.length,
    });
  }
  return [...plain, ...folded];
}

function sum(servers: ServerView[]): number {
  return servers.reduce((total, s) => total + s.sessions, 0);
}
