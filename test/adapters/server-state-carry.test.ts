import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { LiveConfigFile } from '../../src/adapters/config-file.js';
import { Haproxy } from '../../src/adapters/haproxy.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { containerLayout } from '../../src/app/engine.js';
import { parseConfig } from '../../src/config/load.js';
import { buildHaproxyContext } from '../../src/core/haproxy-context.js';
import { EMPTY_SERVER_STATE } from '../../src/core/server-state.js';
import type { Settings } from '../../src/core/settings.js';
import { renderHaproxyConfig } from '../../src/render/renderer.js';
import { observedContainer } from '../support/fakes.js';
import { writeMapFiles } from '../support/map-files.js';
import { freePort, TEMPLATES } from '../support/stack.js';

// The container engine hands a reloaded worker the serving servers' state (server-state.ts),
// against a real HAProxy and node HTTP servers on 127.0.0.1. rise 2 fall 3. The first config
// checks /health, which passes: every server is proven (health 4). The reloaded config checks
// /fails, which never passes, so the new worker's first check of a server fails: a carried
// server drops to 3 and stays UP, one HAProxy starts from its config (health 2) goes DOWN. That
// one failed check is what a slow answer on a saturated machine looks like.

interface ServerLook {
  up: boolean;
  health: number;
  checked: boolean;
  port: number;
}

const SERVICE = 'lscarry';
const FULL = 4;

function app(version: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.setHeader('x-version', version);
    res.statusCode = req.url === '/fails' ? 503 : 200;
    res.end('ok\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port })),
  );
}

function settings(dir: string, bindPort: number, healthPath: string): Settings {
  const yaml = [
    `service: { name: ${SERVICE}, image: linkswitch-test-app:v1, port: 8080 }`,
    `health: { path: ${healthPath} }`,
    'haproxy:',
    `  bind: ${JSON.stringify(`127.0.0.1:${bindPort}`)}`,
    '  configFile: run/haproxy.cfg',
    `  templateDir: ${JSON.stringify(TEMPLATES)}`,
    '  masterSocket: run/master.sock',
    '  adminSocket: run/admin.sock',
    '  pidFile: run/haproxy.pid',
    '  hardStopAfter: 5s',
    '  check: { inter: 300ms, rise: 2, fall: 3 }',
    '',
  ].join('\n');
  return parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
}

describe('server state carried across a container-engine reload', () => {
  let dir: string;
  let passing: Settings;
  let failing: Settings;
  let haproxy: Haproxy;
  const apps: http.Server[] = [];
  const ports = {} as Record<'blue' | 'green' | 'moved', number>;

  const write = async (config: Settings, blueAt: number) => {
    const observed = {
      blue: observedContainer('blue', { address: { host: '127.0.0.1', port: blueAt } }),
      green: observedContainer('green', { address: { host: '127.0.0.1', port: ports.green } }),
    };
    const context = buildHaproxyContext(config, 'blue', observed, containerLayout(config));
    await writeMapFiles(context.maps);
    await new LiveConfigFile(config.haproxy.configFile).write(await renderHaproxyConfig(TEMPLATES, context));
  };
  const servers = async (): Promise<Record<string, ServerLook>> => {
    const text = await sendCommand({
      path: passing.haproxy.adminSocket,
      command: 'show servers state',
      timeoutMs: 3000,
    });
    const lines = text.split('\n');
    const columns = (lines.find((l) => l.startsWith('# be_id')) ?? '').slice(1).trim().split(/\s+/);
    const at = (name: string) => columns.indexOf(name);
    const result: Record<string, ServerLook> = {};
    for (const line of lines.filter((l) => /^\d+ /.test(l))) {
      const fields = line.split(' ');
      result[fields[at('srv_name')]!] = {
        up: fields[at('srv_op_state')] === '2',
        health: Number(fields[at('srv_check_health')]),
        // HCHK_STATUS_INI (1): no check has run in this worker yet.
        checked: fields[at('srv_check_status')] !== '1',
        port: Number(fields[at('srv_port')]),
      };
    }
    return result;
  };
  /** blue once the new worker's first check of it has run (every 300 ms, so within a second). */
  const blueAfterFirstCheck = async () => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const blue = (await servers()).blue!;
      if (blue.checked || Date.now() > deadline) return blue;
      await sleep(20);
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-carry-'));
    for (const name of ['blue', 'green', 'moved'] as const) {
      const { server, port } = await app(name);
      apps.push(server);
      ports[name] = port;
    }
    const bindPort = await freePort();
    passing = settings(dir, bindPort, '/health');
    failing = settings(dir, bindPort, '/fails');
    haproxy = new Haproxy(passing, systemClock, containerLayout(passing));
  });

  const proven = async (blueAt: number) => {
    await write(passing, blueAt);
    if (await haproxy.running()) await haproxy.reload();
    else await haproxy.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const all = await servers();
      if (all.blue?.health === FULL && all.green?.health === FULL) return;
      await sleep(50);
    }
    throw new Error(`servers not proven: ${JSON.stringify(await servers())}`);
  };

  afterAll(async () => {
    await haproxy?.stop().catch(() => undefined);
    for (const server of apps) {
      server.closeAllConnections();
      server.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a linked server the new config leaves alone keeps its health and survives one failed check', async () => {
    await proven(ports.blue);
    await write(failing, ports.blue);
    await haproxy.reload();
    // Emptied once the reload is done: a restart never starts from this worker's view.
    expect(await readFile(path.join(dir, 'run', 'servers.state'), 'utf8')).toBe(EMPTY_SERVER_STATE);
    const blue = await blueAfterFirstCheck();
    expect(blue).toEqual({ up: true, health: FULL - 1, checked: true, port: ports.blue });
  });

  it('a server the new config moves to another port starts from the config, at its new port, and goes DOWN', async () => {
    await proven(ports.blue);
    await write(failing, ports.moved);
    await haproxy.reload();
    // One failed check from its start at health 2 (rise) is DOWN (HAProxy then sets the health to 0).
    expect(await blueAfterFirstCheck()).toMatchObject({ up: false, checked: true, port: ports.moved });
  });
});
