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
    // A name HAProxy resolved when it loaded the file carries the IP as a comment (servers.hbs);
    // a bare name without one cannot be compared with the state's address, so it is not carried.
    const resolved = /#\s*resolves to\s+(\d+\.\d+\.\d+\.\d+)/.exec(rest);
    // An IP on the line is the address (a published port's comment names the container's IP).
    const address = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : (resolved?.[1] ?? null);
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
  const lines = stateText.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (lines[0]?.trim() !== '1' || header === undefined) return EMPTY_SERVER_STATE;
  // Columns by name: later HAProxy versions add columns at the end.
  const columns = header.slice(1).trim().split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const col = {
    backend: at('be_name'),
    server: at('srv_name'),
    address: at('srv_addr'),
    op: at('srv_op_state'),
    admin: at('srv_admin_state'),
    uweight: at('srv_uweight'),
    iweight: at('srv_iweight'),
    port: at('srv_port'),
  };
  if (Object.values(col).some((index) => index < 0)) return EMPTY_SERVER_STATE;
  const configured = configuredServers(configText);
  const kept: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#') || line.trim() === '' || line.trim() === '1') continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < columns.length) continue;
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
