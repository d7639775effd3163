import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { expectRuntimeMatchesFile } from '../support/consistency.js';
import { startHostSidecar } from '../support/host-sidecar.js';
import { createStack, type Stack } from '../support/stack.js';

// A deploy points the idle colour's server (a placeholder at first) at the new container through
// the runtime API, a switch flips the weights, and linkswitch writes the haproxy.cfg that says the
// same thing without reloading: no worker is replaced by a deploy or a rollback. A later reload
// loads the file, so the colour stays. A difference beyond servers (here the preview route, which
// follows the idle colour) still reloads.

describe('deploys and rollbacks that change only servers', () => {
  let stack: Stack;
  const master = () => `${stack.dir}/run/master.sock`;
  const proc = async () => {
    const info = parseShowProc(await sendCommand({ path: master(), command: 'show proc', timeoutMs: 5000 }));
    if (!info) throw new Error('no master in show proc');
    return { reloads: info.reloads, workers: info.workers.map((w) => w.pid) };
  };
  // A new connection per request: a kept-alive one may sit on a worker from before a reload.
  const ask = (headers: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: stack.port, path: '/', headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers['x-version'] ?? res.statusCode)));
        })
        .on('error', reject);
    });
  const versions = async (headers: Record<string, string> = {}) => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await ask(headers));
    return [...seen];
  };
  const cli = async (args: string[]) => {
    const result = await stack.cli(args);
    expect(result.exitCode, result.all).toBe(0);
  };

  beforeAll(async () => {
    stack = await createStack('noreload');
    await cli(['up']);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('neither a deploy nor a rollback reloads: the runtime API stages and switches, the file follows', async () => {
    let before = await proc();
    await cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    let after = await proc();
    expect(after).toEqual(before);
    expect(await versions()).toEqual(['v2']);
    await expectRuntimeMatchesFile(stack, 'after the first deploy');

    before = after;
    await cli(['rollback']);
    after = await proc();
    expect(after).toEqual(before);
    expect(await versions()).toEqual(['v1']);
    const cfg = await readFile(stack.haproxyCfg, 'utf8');
    expect(cfg).toContain(`# Service ${stack.name}: blue linked`);
    expect(cfg).toMatch(/server blue \S+ weight 100/);
    expect(cfg).toMatch(/server green \S+ weight 0/);
    await expectRuntimeMatchesFile(stack, 'after the rollback');

    // The next deploy replaces green's container: a new address, checked afresh, no reload.
    await cli(['deploy', '--image', 'linkswitch-test-app:hc']);
    expect(await proc()).toEqual(before);
    expect(await versions()).toEqual(['hc']);
    await expectRuntimeMatchesFile(stack, 'after the second deploy');
    await cli(['rollback']);
    expect(await versions()).toEqual(['v1']);
  });

  it('never switches to a staged container before HAProxy’s own check passed against it', async () => {
    // The sidecar renames the old idle container (hc, warm, checked L7OK) out of the way and
    // removes it later, so it still answers while green's server moves to the new one. HAProxy
    // shows the old result there ("UP 1/2", L7OK) until its first check of the new container,
    // which answers HAProxy only after a second: the gate must not take that result for its own.
    await stack.writeConfig({ health: { interval: '100ms', timeout: '3s' } });
    // A host sidecar renders what the CLI rendered (HAProxy on the host logs to /dev/log for
    // both): its start changes nothing, so HAProxy keeps its workers.
    const atStart = await proc();
    const sidecar = await startHostSidecar(stack);
    const before = await proc();
    expect(before).toEqual(atStart);
    let failed: Awaited<ReturnType<typeof stack.cli>>;
    try {
      failed = await stack.cli(['deploy', '--image', 'linkswitch-test-app:blind']);
    } finally {
      await sidecar.stop();
    }
    expect(failed.exitCode, failed.all).not.toBe(0);
    expect(failed.all).toMatch(/HAProxy's health check never saw green UP/);
    expect(await versions()).toEqual(['v1']);
    expect(await proc()).toEqual(before);
    expect(await stack.readState()).toMatchObject({ linked: 'blue' });
    await expectRuntimeMatchesFile(stack, 'after the refused switch');
    // Back to where the next tests start: green warm with hc, blue linked.
    await stack.writeConfig();
    await cli(['deploy', '--image', 'linkswitch-test-app:hc']);
    await cli(['rollback']);
    expect(await versions()).toEqual(['v1']);
  });

  it('a later reload loads the written file: the rolled-back colour stays linked', async () => {
    const before = await proc();
    expect(await sendCommand({ path: master(), command: 'reload', timeoutMs: 5000, fireAndForget: true })).not.toMatch(
      /fail/i,
    );
    // The master re-executes itself: its socket refuses connections for a moment.
    const reloads = () =>
      proc().then(
        (p) => p.reloads,
        () => before.reloads,
      );
    for (let i = 0; i < 100 && (await reloads()) === before.reloads; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await reloads()).toBe(before.reloads + 1);
    expect(await versions()).toEqual(['v1']);
    const status = await stack.cli(['status', '--json']);
    expect(status.exitCode, status.all).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ linked: 'blue' });
  });

  it('reloads when more than servers differ: the preview route moves to the new idle colour', async () => {
    const token = 'preview-0123456789abcdef';
    await stack.writeConfig({
      service: stack.serviceWith({ preview: { header: 'X-Preview', token } }),
    });
    await cli(['up']);
    expect(await versions({ 'x-preview': token })).toEqual(['hc']);
    const before = await proc();
    await cli(['rollback']);
    expect((await proc()).reloads).toBe(before.reloads + 1);
    expect(await versions()).toEqual(['hc']);
    expect(await versions({ 'x-preview': token })).toEqual(['v1']);
  });

  it('a reload by someone else after a crash between a runtime change and its file serves the recorded colour', async () => {
    const linkedVersion = (await versions())[0];
    const paused = await stack.startPaused(['deploy', '--image', 'linkswitch-test-app:v2'], 'runtime-changed');
    await paused.kill();
    // HAProxy runs the staged server; the file does not say it yet. A reload loads the file.
    const before = await proc();
    await sendCommand({ path: master(), command: 'reload', timeoutMs: 5000, fireAndForget: true });
    const reloads = () =>
      proc().then(
        (p) => p.reloads,
        () => before.reloads,
      );
    for (let i = 0; i < 100 && (await reloads()) === before.reloads; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await versions()).toEqual([linkedVersion]);
    await cli(['up']);
    expect(await versions()).toEqual([linkedVersion]);
    await expectRuntimeMatchesFile(stack, 'after the recovery');
  });
});
