import type http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRuntimeMatchesFile } from '../support/consistency.js';
import { ADMIN_AUTH, createHttpsStack, HOSTS, type HttpsStack } from '../support/https-stack.js';
import { failures, type LoadRun, type Sample, startLoad } from '../support/load.js';

// Tutum's model: one HAProxy in front of a stack (test/support/https-stack.ts: three HTTP
// services by host and path, one TCP service, HTTPS with a redirect), against a real dockerd and
// a real HAProxy. Under keep-alive load to every route, each service is deployed and rolled back,
// two of them at the same moment: no request fails, every response comes from the service its
// host/path names, and a service's deploy never changes which version another service serves.

describe('several services behind one HAProxy: deploys under load', () => {
  let s: HttpsStack;

  beforeAll(async () => {
    s = await createHttpsStack('multi');
  }, 120_000);

  afterAll(async () => {
    await s?.destroy();
  });

  it('deploys and rolls back each service, two at once, under HTTPS load: no failure, no crossed route', {
    timeout: 240_000,
  }, async () => {
    const loads: Record<string, LoadRun> = {
      app: s.load(HOSTS.app),
      wildcard: s.load(`tenant1.${HOSTS.app}`),
      api: s.load(HOSTS.api),
      admin: s.load(HOSTS.admin, { path: '/admin/page', headers: ADMIN_AUTH }),
    };
    const expected: Record<string, string> = { app: 'app', wildcard: 'app', api: 'api', admin: 'admin', db: 'db' };
    // The TCP service: a connection per request, since TCP mode switches connections.
    loads.db = startLoad({ port: s.tcpPort, connections: 2, maxDurationMs: 200_000, keepAlive: false });
    const windows: Array<{ ids: string[]; startedAt: number; returnedAt: number; before: Record<string, string> }> = [];
    const run = async (...commands: Array<[verb: string, id: string, image?: string]>) => {
      const before: Record<string, string> = {};
      for (const id of ['app', 'api', 'admin', 'db']) before[id] = (await s.version(id))!;
      const startedAt = performance.now();
      const results = await Promise.all(
        commands.map(([verb, id, image]) =>
          s.stack.cli([
            verb,
            s.stack.names[id]!,
            ...(image ? ['--image', `linkswitch-test-app:${image}`] : []),
            '--json',
          ]),
        ),
      );
      const returnedAt = performance.now();
      for (const r of results) expect(r.exitCode, r.all).toBe(0);
      // Each service's runtime change must leave every backend as the shared haproxy.cfg says.
      await expectRuntimeMatchesFile(s.stack, commands.map((c) => c.join(' ')).join(' + '));
      windows.push({ ids: commands.map((c) => c[1]), startedAt, returnedAt, before });
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await run(['deploy', 'app', 'v2']);
    await run(['deploy', 'api', 'v2']);
    await run(['rollback', 'app']);
    // Two services at the same moment: each one's change to haproxy.cfg must survive the other's.
    await run(['deploy', 'app', 'v2'], ['deploy', 'admin', 'v2']);
    await run(['rollback', 'api'], ['rollback', 'admin']);
    await run(['deploy', 'api', 'v2'], ['deploy', 'admin', 'v2']);
    await run(['deploy', 'db', 'v2'], ['rollback', 'app']);
    await run(['rollback', 'db']);
    await run(['deploy', 'db', 'v2'], ['deploy', 'app', 'v2']);
    const samples = Object.fromEntries(
      await Promise.all(Object.entries(loads).map(async ([key, load]) => [key, await load.stop()] as const)),
    ) as Record<string, Sample[]>;

    let total = 0;
    for (const [key, list] of Object.entries(samples)) {
      total += list.length;
      expect(list.length, key).toBeGreaterThan(100);
      expect(failures(list).slice(0, 5), `${key}: failed requests`).toEqual([]);
      const crossed = list.filter((s) => s.service !== expected[key]);
      expect(crossed.slice(0, 5), `${key}: answered by another service`).toEqual([]);
    }
    // After each command, new requests reach only the new version of the services it changed,
    // and during it, the other services kept their version.
    for (const [i, w] of windows.entries()) {
      const next = windows[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
      for (const [key, list] of Object.entries(samples)) {
        const id = expected[key]!;
        const during = list.filter((s) => s.startedAt >= w.startedAt && s.endedAt <= w.returnedAt);
        if (!w.ids.includes(id)) {
          const other = during.filter((s) => s.version !== w.before[id]);
          expect(other.slice(0, 3), `${key} changed during ${w.ids.join('+')}`).toEqual([]);
        }
      }
      for (const id of w.ids) {
        const now = windows[i + 1]?.before[id] ?? (await s.version(id));
        for (const [key, list] of Object.entries(samples)) {
          if (expected[key] !== id) continue;
          const after = list.filter((s) => s.startedAt > w.returnedAt && s.endedAt < next);
          expect(after.filter((s) => s.version !== now).slice(0, 3), `${key} after ${w.ids.join('+')}`).toEqual([]);
        }
      }
    }
    const counts = Object.entries(samples).map(([key, list]) => `${key} ${list.length}`);
    console.log(`multi-service load: ${total} requests (${counts.join(', ')}) over ${windows.length} rounds, 0 failed`);
    expect(await s.version('app')).toBe('v2');
    expect(await s.version('api')).toBe('v2');
    expect(await s.version('admin')).toBe('v2');
    expect(await s.version('db')).toBe('v2');
  });

  it('keeps a streaming response on the old colour open across a switch until the client closes it', {
    timeout: 60_000,
  }, async () => {
    const before = await s.version('app');
    const chunks: string[] = [];
    let ended = false;
    const request = https.get({
      host: '127.0.0.1',
      port: s.stack.httpsPort,
      path: '/stream',
      headers: { host: HOSTS.app },
      servername: HOSTS.app,
      ca: s.ca.pem,
      agent: false,
    });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
    });
    response.setEncoding('utf8');
    response.on('data', (c: string) => chunks.push(c));
    response.on('end', () => (ended = true));
    response.on('error', () => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const deploy = await s.stack.cli(['deploy', s.stack.names.app!, '--image', 'linkswitch-test-app:v1']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const atSwitch = chunks.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Still streaming from the old version after the switch.
    expect(ended).toBe(false);
    expect(chunks.length).toBeGreaterThan(atSwitch + 5);
    expect(chunks.join('')).toMatch(new RegExp(`^${before} 0\\n`));
    expect(chunks.at(-1)).toMatch(new RegExp(`^${before} `));
    request.destroy();
    expect(await s.version('app')).toBe('v1');
  });

  it("holds another service's reload until a switch is recorded, so it cannot undo the switch", {
    timeout: 90_000,
  }, async () => {
    const before = await s.version('app');
    const next = before === 'v1' ? 'v2' : 'v1';
    const load = s.load(HOSTS.app);
    // app's deploy stops right after its weight flip: the state file still names the old colour.
    const paused = await s.stack.startPaused(
      ['deploy', s.stack.names.app!, '--image', `linkswitch-test-app:${next}`],
      'after-switch',
    );
    const switchedAt = performance.now();
    // api's deploy reloads HAProxy meanwhile; rendered from app's recorded state without the
    // config lock, that reload would put app's traffic back on the old colour.
    const api = s.stack.cli(['deploy', s.stack.names.api!, '--image', 'linkswitch-test-app:v1']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const resumed = await paused.resume();
    expect(resumed.exitCode, resumed.all).toBe(0);
    const apiResult = await api;
    expect(apiResult.exitCode, apiResult.all).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    const afterSwitch = samples.filter((s) => s.startedAt > switchedAt + 50);
    expect(afterSwitch.length).toBeGreaterThan(50);
    expect(afterSwitch.filter((s) => s.version !== next).slice(0, 3)).toEqual([]);
    expect(await s.version('app')).toBe(next);
    expect(await s.version('api')).toBe('v1');
  });
});
