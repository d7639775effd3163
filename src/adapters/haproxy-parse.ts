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

/** Parses `show stat` CSV into the servers of one backend. */
export function parseShowStat(text: string, backend: string): ServerView[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const columns = header.slice(2).split(',');
  const col = (name: string) => columns.indexOf(name);
  const [px, sv, status, weight, addr, scur, check] = ['pxname', 'svname', 'status', 'weight', 'addr', 'scur', 'check_status'].map(col);
  const servers: ServerView[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = splitCsvLine(line);
    const name = f[sv!];
    if (f[px!] !== backend || !isColour(name)) continue;
    servers.push({
      colour: name,
      status: f[status!] ?? '',
      weight: Number(f[weight!] ?? 0),
      address: addr! >= 0 ? (f[addr!] ?? '') : '',
      sessions: Number(f[scur!] ?? 0),
      checkStatus: check! >= 0 ? (f[check!] ?? '') : '',
    });
  }
  return servers;
}
