import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// Maintenance mode against the real HAProxy: switched on and off through the runtime API under
// keep-alive load (no reload, haproxy.cfg untouched), every request answered by the app or by
// the 503 page, never a reset; the allow-list header still reaches the app; the state survives a
// reload because the map on disk says the same.

const BYPASS = 'maint-bypass-0123456789';

describe('linkswitch maintenance', () => {
  let stack: Stack;
  // A new connection per request: a kept-alive one may still sit on a worker from before a reload.
  const get = (headers: Record<string, string> = {}) =>
    new Promise<{ status: number; retryAfter: string | null; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: stack.port, path: '/', headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: (res.headers['retry-after'] as string) ?? null,
              body: body.trim(),
            }),
          );
        })
        .on('error', reject);
    });

  beforeAll(async () => {
    stack = await createStack('maint', { maintenance: { allow: { header: 'X-Maintenance-Bypass', token: BYPASS } } });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('turns on and off under load without a reload: every request gets the app or the 503 page, never a reset', async () => {
    const cfg = await readFile(stack.haproxyCfg, 'utf8');
    const load = startLoad({ port: stack.port, connections: 6, maxDurationMs: 20_000 });
    await new Promise((r) => setTimeout(r, 700));
    const on = await stack.cli([
      'maintenance',
      'on',
      '--message',
      'Back soon, upgrading the database.',
      '--retry-after',
      '5m',
    ]);
    expect(on.exitCode, on.all).toBe(0);
    const page = await get();
    expect(page.status).toBe(503);
    expect(page.retryAfter).toBe('300');
    expect(page.body).toContain('<p>Back soon, upgrading the database.</p>');
    expect((await get({ 'x-maintenance-bypass': BYPASS })).body).toBe('v1');
    expect((await get({ 'x-maintenance-bypass': 'wrong-token-0000000000' })).status).toBe(503);
    const status = await stack.cli(['status']);
    expect(status.stdout).toMatch(/maintenance: on \("Back soon, upgrading the database\."/);
    await new Promise((r) => setTimeout(r, 700));
    const off = await stack.cli(['maintenance', 'off']);
    expect(off.exitCode, off.all).toBe(0);
    await new Promise((r) => setTimeout(r, 700));
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(500);
    // The app's answer, or the maintenance page: no reset, no other error.
    const other = samples.filter(
      (s) => s.status !== 200 && !(s.status === 503 && s.error?.includes('Down for maintenance')),
    );
    expect(other).toEqual([]);
    expect([...new Set(samples.map((s) => s.status))].sort()).toEqual([200, 503]);
    expect(samples.filter((s) => s.status === 200).every((s) => s.version === 'v1')).toBe(true);
    expect(samples.at(-1)?.status).toBe(200);
    // No reload, no new config: the runtime API did it.
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfg);
    expect((await get()).body).toBe('v1');
  });

  it('without a message answers the 503 error page, and stays on across a reload', async () => {
    const on = await stack.cli(['maintenance', 'on']);
    expect(on.exitCode, on.all).toBe(0);
    expect((await get()).status).toBe(503);
    // A deploy reloads HAProxy twice: the map on disk keeps maintenance on.
    const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    expect((await get()).status).toBe(503);
    expect((await get({ 'x-maintenance-bypass': BYPASS })).body).toBe('v2');
    expect((await stack.cli(['maintenance', 'off'])).exitCode).toBe(0);
    expect((await get()).body).toBe('v2');
  });

  it('refuses a message HAProxy could misread, changing nothing', async () => {
    const result = await stack.cli(['maintenance', 'on', '--message', 'down; del map x']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/invalid --message/);
    expect((await get()).status).toBe(200);
  });
});
