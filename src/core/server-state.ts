// Which of the running worker's server states a reloaded worker may start from (container engine).
//
// Without a state file a reloaded worker starts every server UP but at the lowest UP health
// (`rise`): one failed check — a slow answer on a saturated machine — takes the linked colour
// DOWN, and with the idle colour at weight 0 the backend then answers 503. Handing the new worker
// the old one's `show servers state` keeps a proven server's full health. HAProxy applies a
// state line over the config, port and weight included, and restores a server's health even
// when the config moved it to another address, so only lines that describe the same server are
// carried: same backend and name, same address and port, serving (weight > 0) in the new config,
// UP, not in maintenance or drain. Their weights are rewritten to the config's, which is what
// linkswitch means the new worker to run with. Everything else starts as HAProxy's default.

/** A state file with no servers: HAProxy loads it and starts every server from its config. */
export const EMPTY_SERVER_STATE = '1\n';

/** srv_admin_state's SRV_ADMF_CMAINT: the server was `disabled` in the config it was loaded from. */
const CONFIG_MAINT = 0x04;

/** HAProxy's srv_op_state for a running (UP) server. */
const OP_RUNNING = '2';

interface ConfiguredServer {
  address: string | null;
  port: string;
  weight: number;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Where HAProxy connects for a server line's `host` and the IP its `# resolves to` comment names:
 * an IP on the line is the address (the comment may name the container's own IP beside a
 * published port); a name connects to what it resolved to when HAProxy loaded the file (the
 * shipped template writes it as that comment). Null when neither is an IP.
 */
export function connectAddress(host: string, resolved: string | undefined): string | null {
  if (IPV4.test(host)) return host;
  return resolved !== undefined && IPV4.test(resolved) ? resolved : null;
}

/**
 * `show servers state` as rows of fields, with the index of each wanted column (found by name:
 * later HAProxy versions add columns at the end). Null when the answer lacks the header or one
 * of the columns.
 */
export function serversStateTable<K extends string>(
  text: string,
  wanted: Record<K, string>,
): { header: string; col: Record<K, number>; rows: string[][] } | null {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (header === undefined) return null;
  const columns = header.slice(1).trim().split(/\s+/);
  const col = Object.fromEntries(
    Object.entries<string>(wanted).map(([key, name]) => [key, columns.indexOf(name)]),
  ) as Record<K, number>;
  if (Object.values<number>(col).some((index) => index < 0)) return null;
  const rows = lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/))
    .filter((fields) => fields.length >= columns.length);
  return { header, col, rows };
}

/** `backend/server` → where the rendered config points it and with what weight. */
export function configuredServers(configText: string): Map<string, ConfiguredServer> {
  const servers = new Map<string, ConfiguredServer>();
  let backend: string | null = null;
  for (const line of configText.split('\n')) {
    if (line.startsWith('#')) continue;
    const section = /^(\S+)\s*(\S*)/.exec(line);
    if (section) {
      backend = section[1] === 'backend' && section[2] ? section[2] : null;
      continue;
    }
    if (backend === null) continue;
    const server = /^\s+server\s+(\S+)\s+([^\s:]+):(\d+)\s+(.*)$/.exec(line);
    if (!server) continue;
    const [, name = '', host = '', port = '', rest = ''] = server;
    const weight = /(?:^|\s)weight\s+(\d+)/.exec(rest);
    // A bare name without its resolved IP cannot be compared with the state's address: not carried.
    const address = connectAddress(host, /#\s*resolves to\s+(\S+)/.exec(rest)?.[1]);
    servers.set(`${backend}/${name}`, { address, port, weight: weight ? Number(weight[1]) : 1 });
  }
  return servers;
}

/**
 * The part of `show servers state` (as the running worker answered it) that the worker loading
 * `configText` may start from; EMPTY_SERVER_STATE when nothing qualifies or the answer is not
 * the format this code knows.
 */
export function carriedServerState(stateText: string, configText: string): string {
  if (stateText.split('\n', 1)[0]?.trim() !== '1') return EMPTY_SERVER_STATE;
  const table = serversStateTable(stateText, {
    backend: 'be_name',
    server: 'srv_name',
    address: 'srv_addr',
    op: 'srv_op_state',
    admin: 'srv_admin_state',
    uweight: 'srv_uweight',
    iweight: 'srv_iweight',
    port: 'srv_port',
  });
  if (!table) return EMPTY_SERVER_STATE;
  const { header, col } = table;
  const configured = configuredServers(configText);
  const kept: string[] = [];
  for (const fields of table.rows) {
    const server = configured.get(`${fields[col.backend]}/${fields[col.server]}`);
    const same =
      server !== undefined &&
      server.weight > 0 &&
      server.address === fields[col.address] &&
      server.port === fields[col.port] &&
      fields[col.op] === OP_RUNNING &&
      (Number(fields[col.admin]) & ~CONFIG_MAINT) === 0;
    if (!same) continue;
    // A server that began as a `disabled` placeholder keeps that record bit after a deploy set it
    // ready; the new config has no `disabled` for it, so the worker starts it with none.
    fields[col.admin] = '0';
    fields[col.uweight] = String(server.weight);
    fields[col.iweight] = String(server.weight);
    kept.push(fields.join(' '));
  }
  return kept.length === 0 ? EMPTY_SERVER_STATE : `1\n${header}\n${kept.join('\n')}\n`;
}
