import { describe, expect, it } from 'vitest';
import type { ServerLine } from './runtime-change.js';
import {
  commandText,
  parseServersState,
  type RuntimeServer,
  reconcileServers,
  serverMismatches,
  stagingBatches,
} from './runtime-servers.js';

// `show servers state` as HAProxy 2.6 answers it (3.x adds columns at the end).
const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be_web 1 blue 172.18.0.2 2 0 100 100 12 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0
3 be_web 2 green 127.0.0.1 0 5 0 0 12 1 0 0 14 0 0 0 - 1 - 0 0 - - 0
`;

const line = (server: string, address: string, port: number, weight: number, disabled = false): ServerLine => ({
  backend: 'be_web',
  server,
  address,
  port,
  weight,
  disabled,
  dns: false,
});
const running = (server: string, address: string, port: number, weight: number, maint = false): RuntimeServer => ({
  backend: 'be_web',
  server,
  address,
  port,
  weight,
  maint,
});
const texts = (result: ReturnType<typeof reconcileServers>) =>
  'problem' in result ? result.problem : result.commands.map(commandText);

describe('parseServersState', () => {
  it('reads addresses, ports, user weights and maintenance (configured or forced)', () => {
    expect(parseServersState(STATE)).toEqual([
      running('blue', '172.18.0.2', 8080, 100),
      running('green', '127.0.0.1', 1, 0, true),
    ]);
  });

  it('counts a placeholder put in service as out of maintenance (HAProxy keeps its config bit)', () => {
    const ready = STATE.replace('127.0.0.1 0 5 0 0', '172.18.0.3 2 4 0 0');
    expect(parseServersState(ready)[1]).toMatchObject({ maint: false });
  });

  it('finds nothing in an answer of another format', () => {
    expect(parseServersState('Unknown command.\n')).toEqual([]);
  });
});

describe('reconcileServers', () => {
  const actual = parseServersState(STATE);

  it('stages a placeholder: the new address, out of maintenance, DOWN until its own check passes', () => {
    const desired = [line('blue', '172.18.0.2', 8080, 100), line('green', '172.18.0.3', 8080, 0)];
    expect(texts(reconcileServers(desired, actual, ['be_web']))).toEqual([
      'set server be_web/green addr 172.18.0.3 port 8080',
      'set server be_web/green state ready',
      'set server be_web/green health down',
    ]);
  });

  it('takes a server through maintenance to move it, and checks a fresh container at the same address', () => {
    const warm = [running('blue', '172.18.0.2', 8080, 100), running('green', '172.18.0.3', 8080, 0)];
    const moved = [line('blue', '172.18.0.2', 8080, 100), line('green', '172.18.0.5', 8080, 0)];
    expect(texts(reconcileServers(moved, warm, ['be_web']))).toEqual([
      'set server be_web/green state maint',
      'set server be_web/green addr 172.18.0.5 port 8080',
      'set server be_web/green state ready',
      'set server be_web/green health down',
    ]);
    const same = [line('blue', '172.18.0.2', 8080, 100), line('green', '172.18.0.3', 8080, 0)];
    expect(texts(reconcileServers(same, warm, ['be_web']))).toEqual([]);
    expect(texts(reconcileServers(same, warm, ['be_web'], ['be_web/green']))).toHaveLength(4);
  });

  it('moves a weighted server (a recreated linked container) through maintenance, as a reload starts it', () => {
    const desired = [line('blue', '172.18.0.7', 8080, 100), line('green', '127.0.0.1', 1, 0, true)];
    expect(texts(reconcileServers(desired, actual, ['be_web']))).toEqual([
      'set server be_web/blue state maint',
      'set server be_web/blue addr 172.18.0.7 port 8080',
      'set server be_web/blue state ready',
    ]);
  });

  it('sends maintenance and addresses apart from what starts checks (HAProxy 3.0 applies addresses late)', () => {
    const warm = [running('blue', '172.18.0.2', 8080, 100), running('green', '172.18.0.3', 8080, 100)];
    const desired = [line('blue', '172.18.0.2', 8080, 0), line('green', '172.18.0.5', 8080, 100)];
    const planned = reconcileServers(desired, warm, ['be_web']);
    if ('problem' in planned) throw new Error(planned.problem);
    // A weighted server keeps its three commands on one line: no 503 between two sends.
    const [first, rest] = stagingBatches(planned.commands).map((batch) => batch.map(commandText));
    expect(first).toEqual([]);
    expect(rest).toEqual([
      'set server be_web/green state maint',
      'set server be_web/green addr 172.18.0.5 port 8080',
      'set server be_web/green state ready',
      'set weight be_web/blue 0',
    ]);
    // An idle one being staged goes first, read back, then out of maintenance and DOWN.
    const idle = reconcileServers([line('blue', '172.18.0.2', 8080, 100), line('green', '172.18.0.5', 8080, 0)], warm, [
      'be_web',
    ]);
    if ('problem' in idle) throw new Error(idle.problem);
    const [staged, after] = stagingBatches(idle.commands).map((batch) => batch.map(commandText));
    expect(staged).toEqual([
      'set server be_web/green state maint',
      'set server be_web/green addr 172.18.0.5 port 8080',
    ]);
    expect(after).toEqual([
      'set server be_web/green state ready',
      'set server be_web/green health down',
      'set weight be_web/green 0',
    ]);
    const weights = [line('blue', '172.18.0.2', 8080, 0), line('green', '172.18.0.3', 8080, 100)];
    const only = reconcileServers(weights, warm, ['be_web']);
    if ('problem' in only) throw new Error(only.problem);
    expect(stagingBatches(only.commands)[0]).toEqual([]);
  });

  it('puts a server in or out of maintenance when only that differs', () => {
    const parked = [running('blue', '172.18.0.2', 8080, 100, true), running('green', '172.18.0.3', 8080, 0)];
    const desired = [line('blue', '172.18.0.2', 8080, 100), line('green', '172.18.0.3', 8080, 0, true)];
    expect(texts(reconcileServers(desired, parked, ['be_web']))).toEqual([
      'set server be_web/blue state ready',
      'set server be_web/green state maint',
    ]);
  });

  it('raises the new weight before lowering the old one', () => {
    const warm = [running('blue', '172.18.0.2', 8080, 100), running('green', '172.18.0.3', 8080, 0)];
    const desired = [line('blue', '172.18.0.2', 8080, 0), line('green', '172.18.0.3', 8080, 100)];
    expect(texts(reconcileServers(desired, warm, ['be_web']))).toEqual([
      'set weight be_web/green 100',
      'set weight be_web/blue 0',
    ]);
  });

  it('puts a removed colour back in maintenance at the placeholder address', () => {
    const warm = [running('blue', '172.18.0.2', 8080, 100), running('green', '172.18.0.3', 8080, 0)];
    const desired = [line('blue', '172.18.0.2', 8080, 100), line('green', '127.0.0.1', 1, 0, true)];
    expect(texts(reconcileServers(desired, warm, ['be_web']))).toEqual([
      'set server be_web/green state maint',
      'set server be_web/green addr 127.0.0.1 port 1',
    ]);
  });

  it('leaves other backends alone and needs a reload for a server HAProxy does not have', () => {
    const other = { ...line('blue', '10.0.0.1', 80, 100), backend: 'be_api' };
    expect(texts(reconcileServers([other], actual, ['be_web']))).toEqual([]);
    expect(texts(reconcileServers([other], actual, ['be_api']))).toBe('HAProxy has no server be_api/blue');
  });

  it('sets only the weight of a DNS-resolved template member', () => {
    const member = { ...line('blue', '', 0, 0), dns: true };
    expect(texts(reconcileServers([member], actual, ['be_web']))).toEqual(['set weight be_web/blue 0']);
  });
});

describe('serverMismatches', () => {
  it('names every difference left between what runs and what the file says', () => {
    const desired = [line('blue', '172.18.0.2', 8080, 0), line('green', '172.18.0.3', 8080, 0)];
    expect(serverMismatches(desired, parseServersState(STATE), ['be_web'])).toEqual([
      'be_web/blue has weight 100, the file says 0',
      'be_web/green runs at 127.0.0.1:1, the file says 172.18.0.3:8080',
      'be_web/green is in maintenance, the file says the opposite',
    ]);
    expect(serverMismatches(desired.slice(0, 1), parseServersState(STATE), ['be_api'])).toEqual([]);
  });
});
