import type { ServerLine } from './runtime-change.js';
import { serversStateTable } from './server-state.js';

// What HAProxy runs (`show servers state`) against what the new haproxy.cfg says (its server
// lines): the runtime-API commands that make the first equal the second, and the check that they
// did. Absolute values, not a replay of the file's diff, so a runtime that drifted from the file
// (a crash between a runtime change and the file write) is brought back too.
//
// A server whose address changes goes through maintenance, as a reload would start it afresh:
// leaving maintenance sets it UP at the lowest healthy level and checks it at once, so a linked
// container that was recreated serves again at once, as after a reload. An idle colour being
// staged (weight 0) is then forced DOWN (`health down`): HAProxy keeps the previous container's
// check result (`L7OK`) across the address change, and with `fall 1` the lowest healthy level
// is plain `UP`, so only a DOWN → UP transition proves a check passed against the new container
// before wait-haproxy-up lets traffic go there. Under a saturating load, a colour switched to
// while still at that lowest level went DOWN on the first slow check (bench: 2,124 HTTP 503s).

export interface RuntimeServer {
  backend: string;
  server: string;
  address: string;
  port: number;
  /** The weight set by configuration or the runtime API (srv_uweight). */
  weight: number;
  /** In forced or configured maintenance (`set server … state maint`, `disabled`). */
  maint: boolean;
}

export type ServerCommand =
  | { kind: 'maint'; backend: string; server: string }
  | { kind: 'ready'; backend: string; server: string }
  | { kind: 'health-down'; backend: string; server: string }
  | { kind: 'addr'; backend: string; server: string; address: string; port: number }
  | { kind: 'weight'; backend: string; server: string; weight: number };

/**
 * srv_admin_state's SRV_ADMF_FMAINT: in maintenance now. A `disabled` server starts with it and
 * SRV_ADMF_CMAINT (0x04), which HAProxy keeps as a record after `state ready` clears FMAINT.
 */
const FORCED_MAINT = 0x01;

/** Parses `show servers state` (columns found by name: later versions add some at the end). */
export function parseServersState(text: string): RuntimeServer[] {
  const table = serversStateTable(text, {
    backend: 'be_name',
    server: 'srv_name',
    address: 'srv_addr',
    admin: 'srv_admin_state',
    weight: 'srv_uweight',
    port: 'srv_port',
  });
  if (!table) return [];
  const { col } = table;
  return table.rows.map((fields) => ({
    backend: fields[col.backend] as string,
    server: fields[col.server] as string,
    address: fields[col.address] as string,
    port: Number(fields[col.port]),
    weight: Number(fields[col.weight]),
    maint: (Number(fields[col.admin]) & FORCED_MAINT) !== 0,
  }));
}

const key = (s: { backend: string; server: string }) => `${s.backend}/${s.server}`;

/**
 * The commands that bring `actual` to `desired` for the servers of `backends`, in the order to
 * send them: addresses and states first, then weights rising before weights falling, so a switch
 * never leaves a backend without a weighted server. `fresh` ("backend/server"): servers whose
 * container is new, checked afresh even at an address HAProxy knew (Docker may hand a recreated
 * container its predecessor's IP). A problem (a server HAProxy does not have) means a reload.
 */
export function reconcileServers(
  desired: readonly ServerLine[],
  actual: readonly RuntimeServer[],
  backends: readonly string[],
  fresh: readonly string[] = [],
): { commands: ServerCommand[] } | { problem: string } {
  const running = new Map(actual.map((s) => [key(s), s]));
  const states: ServerCommand[] = [];
  const weights: Array<ServerCommand & { kind: 'weight' }> = [];
  for (const want of desired) {
    if (!backends.includes(want.backend)) continue;
    const now = running.get(key(want));
    if (!now) return { problem: `HAProxy has no server ${key(want)}` };
    const { backend, server } = want;
    const moved = !want.dns && (now.address !== want.address || now.port !== want.port || fresh.includes(key(want)));
    const addr: ServerCommand = { kind: 'addr', backend, server, address: want.address, port: want.port };
    if (moved) {
      if (!now.maint) states.push({ kind: 'maint', backend, server });
      states.push(addr);
      if (!want.disabled) states.push({ kind: 'ready', backend, server });
      if (!want.disabled && want.weight === 0) states.push({ kind: 'health-down', backend, server });
    } else if (now.maint !== want.disabled) {
      states.push({ kind: want.disabled ? 'maint' : 'ready', backend, server });
    }
    if (now.weight !== want.weight) weights.push({ kind: 'weight', backend, server, weight: want.weight });
  }
  weights.sort((x, y) => y.weight - x.weight);
  return { commands: [...states, ...weights] };
}

/**
 * How `actual` still differs from `desired` for the servers of `backends` (empty: it matches).
 * addressesOnly: just addresses and ports (staging reads them back before checks start).
 */
export function serverMismatches(
  desired: readonly ServerLine[],
  actual: readonly RuntimeServer[],
  backends: readonly string[],
  addressesOnly = false,
): string[] {
  const running = new Map(actual.map((s) => [key(s), s]));
  const problems: string[] = [];
  for (const want of desired) {
    if (!backends.includes(want.backend)) continue;
    const now = running.get(key(want));
    if (!now) {
      problems.push(`${key(want)} is missing`);
      continue;
    }
    if (!want.dns && (now.address !== want.address || now.port !== want.port))
      problems.push(`${key(want)} runs at ${now.address}:${now.port}, the file says ${want.address}:${want.port}`);
    if (addressesOnly) continue;
    if (now.weight !== want.weight)
      problems.push(`${key(want)} has weight ${now.weight}, the file says ${want.weight}`);
    if (now.maint !== want.disabled)
      problems.push(`${key(want)} is ${now.maint ? 'in' : 'out of'} maintenance, the file says the opposite`);
  }
  return problems;
}

/**
 * The commands in two batches: maintenance and addresses first, then the rest. HAProxy 3.0
 * applies an address from another thread a moment after it answers, and leaving maintenance
 * starts a check at once: read back between the two, that check cannot reach the container the
 * server pointed at before (a retired one still runs until it is removed).
 */
export function stagingBatches(commands: readonly ServerCommand[]): [ServerCommand[], ServerCommand[]] {
  // Only an idle server being staged (it gets `health down`) is split: a weighted server keeps
  // maintenance, address and ready on one line, or it would answer 503 between the two sends.
  const staged = new Set(commands.filter((c) => c.kind === 'health-down').map((c) => `${c.backend}/${c.server}`));
  const first = (c: ServerCommand) =>
    (c.kind === 'maint' || c.kind === 'addr') && staged.has(`${c.backend}/${c.server}`);
  return [commands.filter(first), commands.filter((c) => !first(c))];
}

/** The runtime-API text of one command; every value is checked by the caller's safe-values. */
export function commandText(command: ServerCommand): string {
  const target = `${command.backend}/${command.server}`;
  switch (command.kind) {
    case 'maint':
      return `set server ${target} state maint`;
    case 'ready':
      return `set server ${target} state ready`;
    case 'health-down':
      return `set server ${target} health down`;
    case 'addr':
      return `set server ${target} addr ${command.address} port ${command.port}`;
    case 'weight':
      return `set weight ${target} ${command.weight}`;
  }
}
