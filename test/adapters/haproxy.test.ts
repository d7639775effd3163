import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { LiveConfigFile } from '../../src/adapters/config-file.js';
import { Haproxy } from '../../src/adapters/haproxy.js';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { parseConfig } from '../../src/config/load.js';
import type { Colour } from '../../src/core/colour.js';
import { HaproxyConfigError, HaproxyRuntimeError } from '../../src/core/errors.js';
import { backendName, buildHaproxyContext } from '../../src/core/haproxy-context.js';
import type { Observed } from '../../src/core/plan.js';
import type { Settings } from '../../src/core/settings.js';
import { renderHaproxyConfig } from '../../src/render/renderer.js';
import { httpGet, observedContainer, versionOf } from '../support/fakes.js';
import { writeMapFiles } from '../support/map-files.js';
import { freePort, TEMPLATES } from '../support/stack.js';

// The Haproxy adapter against a real haproxy process (master-worker, master CLI + admin socket)
// and two tiny node HTTP servers on 127.0.0.1 standing in for the blue and green containers.
// The tests share one HAProxy and run in order: validate → start → stats → weights → reloads →
// failed reload → missing sockets → stop. afterAll always stops what was started.

const SERVICE = 'lsadapter';

function colourServer(colour: Colour): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.setHeader('x-version', colour);
    res.setHeader('content-type', 'text/plain');
    res.statusCode = 200;
    res.end(req.url === '/health' ? 'ok\n' : `${colour}\n`);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

function configYaml(bindPort: number, service = SERVICE): string {
  // JSON strings are valid YAML scalars: the temp and repo paths need no further escaping.
  return [
    'service:',
    `  name: ${service}`,
    '  image: linkswitch-test-app:v1',
    '  port: 8080',
    'haproxy:',
    `  bind: ${JSON.stringify(`127.0.0.1:${bindPort}`)}`,
    '  configFile: run/haproxy.cfg',
    `  templateDir: ${JSON.stringify(TEMPLATES)}`,
    '  masterSocket: run/master.sock',
    '  adminSocket: run/admin.sock',
    '  pidFile: run/haproxy.pid',
    '  hardStopAfter: 5s',
    '  reloadTimeout: 10s',
    '  check:',
    '    inter: 100ms',
    '',
  ].join('\n');
}

function observedFor(ports: Record<Colour, number>): Observed {
  const container = (colour: Colour) =>
    observedContainer(colour, {
      name: `${SERVICE}-${colour}`,
      image: 'linkswitch-test-app:v1',
      health: 'none',
      address: { host: '127.0.0.1', port: ports[colour] },
    });
  return { blue: container('blue'), green: container('green') };
}

interface Answer {
  status: number;
  version: string | null;
}

/** One GET through HAProxy on a fresh connection; bounded by a 5 s timeout. */
async function get(port: number, agent: http.Agent | false = false): Promise<Answer> {
  const answer = await httpGet(port, { agent });
  return { status: answer.status, version: versionOf(answer) };
}

async function versions(port: number, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await get(port);
    expect(answer.status).toBe(200);
    seen.push(answer.version ?? '(none)');
  }
  return seen;
}

/** Polls `check` every 50 ms until it returns a non-null value or `timeoutMs` passes. */
async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await sleep(50);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0) until its parent reaps it: it is not running any more.
  try {
    const statText = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = statText.slice(statText.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function showProc(config: Settings) {
  const text = await sendCommand({ path: config.haproxy.masterSocket, command: 'show proc; quit', timeoutMs: 3_000 });
  const info = parseShowProc(text);
  if (!info) throw new Error(`unexpected show proc answer: ${text}`);
  return info;
}

interface LoadResult {
  requests: number;
  failures: Array<{ error: string; status: number }>;
  byVersion: Record<string, number>;
  elapsedMs: number;
}

/**
 * A bounded keep-alive load against 127.0.0.1 only: `loops` concurrent request loops sharing one
 * keep-alive agent, stopping at `stop()`, after maxMs, or after maxRequests, whichever is first.
 */
function startLoad(port: number, { loops = 4, maxMs = 3_000, maxRequests = 5_000, pauseMs = 1 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: loops });
  const started = performance.now();
  const deadline = started + maxMs;
  const result: LoadResult = { requests: 0, failures: [], byVersion: {}, elapsedMs: 0 };
  let stopping = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const version = (response.headers['x-version'] as string | undefined) ?? '(none)';
          result.byVersion[version] = (result.byVersion[version] ?? 0) + 1;
          if (status !== 200) result.failures.push({ error: `HTTP ${status}`, status });
          resolve();
        });
        response.on('error', (error) => {
          result.failures.push({ error: error.message, status: 0 });
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('request timeout')));
      request.on('error', (error: NodeJS.ErrnoException) => {
        result.failures.push({ error: error.code ?? error.message, status: 0 });
        resolve();
      });
    });
  const loop = async () => {
    while (!stopping && performance.now() < deadline && result.requests < maxRequests) {
      result.requests++;
      await one();
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const running = Array.from({ length: loops }, loop);
  return {
    result,
    async stop(): Promise<LoadResult> {
      stopping = true;
      await Promise.all(running);
      agent.destroy();
      result.elapsedMs = Math.round(performance.now() - started);
      return result;
    },
  };
}

describe('Haproxy adapter against a real haproxy', () => {
  let dir: string;
  let config: Settings;
  let haproxy: Haproxy;
  let live: LiveConfigFile;
  let bindPort: number;
  const servers: http.Server[] = [];
  const ports = {} as Record<Colour, number>;
  let observed: Observed;
  /** The master pid we started, kept so afterAll can clean up even if stop() or the pidfile fails. */
  let masterPid: number | null = null;
  let startedAt = 0;

  const render = async (linked: Colour) => {
    const context = buildHaproxyContext(config, linked, observed);
    await writeMapFiles(context.maps);
    return renderHaproxyConfig(config.haproxy.templateDir, context);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-haproxy-adapter-'));
    for (const colour of ['blue', 'green'] as const) {
      const { server, port } = await colourServer(colour);
      servers.push(server);
      ports[colour] = port;
    }
    observed = observedFor(ports);
    bindPort = await freePort();
    config = parseConfig(configYaml(bindPort), path.join(dir, 'linkswitch.yml'));
    haproxy = new Haproxy(config, systemClock);
    live = new LiveConfigFile(config.haproxy.configFile);
    await live.write(await render('blue'));
  });

  afterAll(async () => {
    // Always stop the haproxy we started, even when a test failed half-way.
    try {
      await haproxy?.stop();
    } catch {
      // fall through to the pid-based cleanup below
    }
    if (masterPid !== null && isAlive(masterPid)) {
      try {
        process.kill(masterPid, 'SIGTERM');
        await poll('haproxy to exit after SIGTERM', 5_000, async () => (isAlive(masterPid!) ? null : true)).catch(
          () => {
            if (isAlive(masterPid!)) process.kill(masterPid!, 'SIGKILL');
          },
        );
      } catch {
        // already gone
      }
    }
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('validate() accepts the rendered config and rejects a broken one with haproxy -c output, leaving the live file alone', async () => {
    const rendered = await render('blue');
    expect(rendered).toContain(`backend be_${SERVICE}`);
    expect(rendered).toContain(`server blue 127.0.0.1:${ports.blue} weight 100`);
    expect(rendered).toContain(`server green 127.0.0.1:${ports.green} weight 0`);
    await expect(haproxy.validate(rendered)).resolves.toBeUndefined();

    const before = await readFile(config.haproxy.configFile, 'utf8');
    for (const broken of ['frontend x\n  bind :::notaport\n', 'global\n  this-is-not-a-directive on\n']) {
      const error = await haproxy.validate(broken).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HaproxyConfigError);
      const detail = (error as HaproxyConfigError).detail ?? '';
      // HAProxy's own diagnostic, with the temp file name replaced by haproxy.cfg.
      expect(detail).toMatch(/ALERT/);
      expect(detail).toMatch(broken.startsWith('frontend') ? /notaport/ : /this-is-not-a-directive/);
      expect(detail).toContain('haproxy.cfg');
      expect(detail).not.toMatch(/\.check-/);
    }
    expect(await readFile(config.haproxy.configFile, 'utf8')).toBe(before);
    // No temp check files left next to the live config.
    expect((await readdir(path.dirname(config.haproxy.configFile))).filter((f) => f.startsWith('.check-'))).toEqual([]);
  });

  it('start() brings HAProxy up with mode-600 sockets and blue answering', async () => {
    startedAt = Date.now();
    await haproxy.start();
    masterPid = Number((await readFile(config.haproxy.pidFile, 'utf8')).trim());
    expect(Number.isInteger(masterPid) && masterPid > 1).toBe(true);
    expect(await haproxy.running()).toBe(true);
    for (const socket of [config.haproxy.masterSocket, config.haproxy.adminSocket]) {
      const info = await stat(socket);
      expect(info.isSocket()).toBe(true);
      expect((info.mode & 0o777).toString(8)).toBe('600');
    }
    // Health checks (inter 100ms, rise 1) bring blue UP quickly; until then HAProxy may 503.
    const answer = await poll('blue to answer through HAProxy', 20_000, async () => {
      const a = await get(bindPort);
      return a.status === 200 ? a : null;
    });
    expect(answer.version).toBe('blue');
    expect(new Set(await versions(bindPort, 10))).toEqual(new Set(['blue']));
  });

  it('servers() lists both colours at 100/0 and both become UP with L7OK', async () => {
    const first = await haproxy.servers();
    expect(first.map((s) => s.colour).sort()).toEqual(['blue', 'green']);
    const weights = Object.fromEntries(first.map((s) => [s.colour, s.weight]));
    expect(weights).toEqual({ blue: 100, green: 0 });
    expect(first.find((s) => s.colour === 'blue')!.address).toBe(`127.0.0.1:${ports.blue}`);
    expect(first.find((s) => s.colour === 'green')!.address).toBe(`127.0.0.1:${ports.green}`);

    const up = await poll('both servers UP/L7OK', 20_000, async () => {
      const list = await haproxy.servers();
      return list.length === 2 && list.every((s) => s.status === 'UP' && s.checkStatus === 'L7OK') ? list : null;
    });
    expect(up.map((s) => [s.colour, s.status, s.checkStatus]).sort()).toEqual([
      ['blue', 'UP', 'L7OK'],
      ['green', 'UP', 'L7OK'],
    ]);
    console.log(`[haproxy.test] both servers UP/L7OK ${Date.now() - startedAt} ms after start() began`);
  });

  it('setWeights() flips traffic to green, and refuses an unknown backend or server', async () => {
    await haproxy.setWeights({ green: 100, blue: 0 });
    const weights = Object.fromEntries((await haproxy.servers()).map((s) => [s.colour, s.weight]));
    expect(weights).toEqual({ blue: 0, green: 100 });
    expect(new Set(await versions(bindPort, 20))).toEqual(new Set(['green']));

    // Same sockets, different service name: its backend be_<other> does not exist in haproxy.cfg.
    const otherConfig = parseConfig(configYaml(bindPort, 'nosuchservice'), path.join(dir, 'linkswitch.yml'));
    const other = new Haproxy(otherConfig, systemClock);
    const error = await other.setWeights({ green: 100, blue: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HaproxyRuntimeError);
    expect((error as HaproxyRuntimeError).message).toMatch(/refused the weight change/);
    expect((error as HaproxyRuntimeError).detail ?? '').toMatch(/no such backend/i);
    // An unknown backend has no servers to report either.
    expect(await other.servers()).toEqual([]);

    // The real backend is unchanged by the refused command.
    const after = Object.fromEntries((await haproxy.servers()).map((s) => [s.colour, s.weight]));
    expect(after).toEqual({ blue: 0, green: 100 });
  });

  it('runServerCommands() moves the idle server through maintenance, checks it afresh, and refuses an unknown one', async () => {
    const backend = backendName(config.service.name);
    const blue = async () => (await haproxy.serversState()).find((s) => s.backend === backend && s.server === 'blue');
    const move = (port: number) =>
      haproxy.runServerCommands([
        { kind: 'maint', backend, server: 'blue' },
        { kind: 'addr', backend, server: 'blue', address: '127.0.0.1', port },
        { kind: 'ready', backend, server: 'blue' },
      ]);
    // The same address: HAProxy 2.6 says "no need to change", 3.0 "nothing changed"; both fine.
    await move(ports.blue);
    expect(await blue()).toMatchObject({ address: '127.0.0.1', port: ports.blue, weight: 0, maint: false });
    // A port nothing listens on: the fresh check fails there and the server goes DOWN.
    const dead = await freePort();
    await move(dead);
    expect(await blue()).toMatchObject({ port: dead, maint: false });
    await poll('blue DOWN at a dead port', 20_000, async () =>
      (await haproxy.servers()).find((s) => s.colour === 'blue')?.status.startsWith('DOWN') ? true : null,
    );
    await move(ports.blue);
    await poll('blue UP with a completed check again', 20_000, async () => {
      const view = (await haproxy.servers()).find((s) => s.colour === 'blue');
      return view?.status.startsWith('UP') && /^L\dOK/.test(view.checkStatus) ? true : null;
    });
    await haproxy.closeSessions('blue');

    const error = await haproxy.runServerCommands([{ kind: 'weight', backend, server: 'red', weight: 0 }]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HaproxyRuntimeError);
    expect((error as HaproxyRuntimeError).message).toMatch(/refused a server change/);
  });

  it('reload() loads a changed config into a new worker, and 5 reloads under keep-alive load lose no request', async () => {
    const text = await render('green');
    await haproxy.validate(text);
    await live.write(text);
    const before = await showProc(config);
    await haproxy.reload();
    const after = await showProc(config);
    expect(after.masterPid).toBe(before.masterPid);
    expect(after.reloads).toBeGreaterThan(before.reloads);
    const oldPids = new Set(before.workers.map((w) => w.pid));
    expect(after.workers.some((w) => !oldPids.has(w.pid))).toBe(true);
    // The config's weights (green linked) are what the new worker serves with.
    const weights = Object.fromEntries((await haproxy.servers()).map((s) => [s.colour, s.weight]));
    expect(weights).toEqual({ blue: 0, green: 100 });
    await poll('green to answer after the reload', 20_000, async () =>
      (await get(bindPort)).version === 'green' ? true : null,
    );

    // Five reloads under a bounded keep-alive load (4 loops, ≤ 3 s, ≤ 5000 requests, 127.0.0.1 only).
    // Render and validate both variants first so the load window holds only writes and reloads.
    const variants = { blue: await render('blue'), green: await render('green') };
    await haproxy.validate(variants.blue);
    await haproxy.validate(variants.green);
    const load = startLoad(bindPort, { loops: 4, maxMs: 3_000, maxRequests: 5_000 });
    await sleep(50);
    const reloadTimes: number[] = [];
    const requestsAtReload: number[] = [];
    for (let i = 0; i < 5; i++) {
      const linked: Colour = i % 2 === 0 ? 'blue' : 'green';
      await live.write(variants[linked]);
      requestsAtReload.push(load.result.requests);
      const t0 = performance.now();
      await haproxy.reload();
      reloadTimes.push(Math.round(performance.now() - t0));
      await sleep(30);
    }
    requestsAtReload.push(load.result.requests);
    const result = await load.stop();
    console.log(
      `[haproxy.test] 5 reloads under load: ${result.requests} requests in ${result.elapsedMs} ms, ` +
        `${result.failures.length} failed, by version ${JSON.stringify(result.byVersion)}, ` +
        `reload times ${reloadTimes.join('/')} ms, requests sent before each reload ${requestsAtReload.join('/')}`,
    );
    expect(result.failures).toEqual([]);
    // The load really overlapped every reload: requests kept being sent between each of them.
    for (let i = 1; i < requestsAtReload.length; i++)
      expect(requestsAtReload[i]!).toBeGreaterThan(requestsAtReload[i - 1]!);
    expect(result.requests).toBeGreaterThan(100);
    // Last config rendered had blue linked (i = 4).
    await poll('blue to answer after the last reload', 20_000, async () =>
      (await get(bindPort)).version === 'blue' ? true : null,
    );
  });

  it('reload() of an invalid config on disk fails with HaproxyRuntimeError and the old worker keeps serving', async () => {
    const good = await live.read();
    expect(good).not.toBeNull();
    const before = await showProc(config);
    const oldPids = before.workers.map((w) => w.pid).sort();
    // Bypass validate(): write a broken file straight to the live path.
    await writeFile(config.haproxy.configFile, `${good}\nbackend broken\n    this-is-not-a-directive on\n`);
    const started = performance.now();
    const error = await haproxy.reload().then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = Math.round(performance.now() - started);
    console.log(
      `[haproxy.test] failed reload reported after ${elapsed} ms: ${String((error as Error | null)?.message)}`,
    );
    expect(error).toBeInstanceOf(HaproxyRuntimeError);
    expect((error as HaproxyRuntimeError).message).toMatch(/reload failed/i);

    // The master survived with the same workers, and they still serve.
    expect(await haproxy.running()).toBe(true);
    const after = await showProc(config);
    expect(after.masterPid).toBe(before.masterPid);
    expect(after.failed).toBeGreaterThan(before.failed);
    expect(after.workers.map((w) => w.pid).sort()).toEqual(oldPids);
    expect(new Set(await versions(bindPort, 10))).toEqual(new Set(['blue']));

    // Recover: restore the good config; the next reload succeeds again.
    await live.write(good!);
    await haproxy.reload();
    expect(new Set(await versions(bindPort, 5))).toEqual(new Set(['blue']));
  });

  it('running() is false and servers() names the socket when the sockets do not exist', async () => {
    const missingDir = path.join(dir, 'missing');
    const yaml = configYaml(bindPort)
      .replace('run/master.sock', 'missing/master.sock')
      .replace('run/admin.sock', 'missing/admin.sock');
    const missingConfig = parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
    expect(missingConfig.haproxy.masterSocket).toBe(path.join(missingDir, 'master.sock'));
    const missing = new Haproxy(missingConfig, systemClock);
    expect(await missing.running()).toBe(false);
    const error = await missing.servers().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HaproxyRuntimeError);
    expect((error as HaproxyRuntimeError).message).toContain(missingConfig.haproxy.adminSocket);
    expect((error as HaproxyRuntimeError).message).toContain('ENOENT');
    await expect(missing.setWeights({ blue: 100 })).rejects.toBeInstanceOf(HaproxyRuntimeError);
  });

  it('stop() stops the HAProxy master and its workers', async () => {
    const pid = masterPid;
    expect(pid).not.toBeNull();
    const workers = (await showProc(config)).workers.map((w) => w.pid);
    expect(workers.length).toBeGreaterThan(0);
    const started = performance.now();
    await haproxy.stop();
    console.log(`[haproxy.test] stop() took ${Math.round(performance.now() - started)} ms`);
    expect(isAlive(pid!)).toBe(false);
    for (const worker of workers) expect(isAlive(worker)).toBe(false);
    expect(await haproxy.running()).toBe(false);
    await expect(stat(config.haproxy.pidFile)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(get(bindPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Stopping again is a no-op.
    await expect(haproxy.stop()).resolves.toBeUndefined();
  });
});
