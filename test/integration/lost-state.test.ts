import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { httpGet, versionOf } from '../support/fakes.js';
import { failures, startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// The running stack is the truth: with v2 on green serving, the state file is lost (a
// recreated volume, a mistaken rm). `up` must rebuild it from the world and never move traffic
// back to blue's older v1; where the world is ambiguous it refuses and changes nothing.

const V2 = 'linkswitch-test-app:v2';

describe('a lost state file never changes what users are served', () => {
  let stack: Stack;
  const adminSocket = () => path.join(stack.dir, 'run', 'admin.sock');
  const exists = (file: string) =>
    stat(file).then(
      () => true,
      () => false,
    );
  const served = async (count = 10) => {
    const versions = new Set<string | null>();
    for (let i = 0; i < count; i++) versions.add(versionOf(await httpGet(stack.port)));
    return [...versions];
  };

  beforeAll(async () => {
    stack = await createStack('lost');
    expect((await stack.cli(['up'])).exitCode).toBe(0);
    const deployed = await stack.cli(['deploy', '--image', V2]);
    expect(deployed.exitCode, deployed.all).toBe(0);
    expect((await stack.readState()).linked).toBe('green');
  });
  afterAll(async () => {
    await stack?.destroy();
  });

  it('HAProxy running: up adopts green from its live weights, says so, and every request stays on v2', async () => {
    const load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 30_000 });
    await sleep(300);
    await rm(stack.stateFile);
    const up = await stack.cli(['up']);
    await sleep(300);
    const samples = await load.stop();
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stderr).toContain(
      `State file missing: adopted the running stack from HAProxy's live weights: green linked (${V2})`,
    );
    const state = await stack.readState();
    expect(state.linked).toBe('green');
    expect(state.colours.green?.image).toBe(V2);
    expect(failures(samples)).toEqual([]);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set(['v2']));
    console.log(JSON.stringify({ lostStateHaproxyRunning: true, requests: samples.length, failed: 0 }));
  });

  it('HAProxy stopped, its config and the containers left: up adopts green from haproxy.cfg and serves v2', async () => {
    const pid = Number((await readFile(path.join(stack.dir, 'run', 'haproxy.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGUSR1');
    for (let i = 0; i < 100 && (await exists(`/proc/${pid}`)); i++) await sleep(50);
    await rm(stack.stateFile);
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stderr).toContain('adopted the running stack from the live haproxy.cfg (HAProxy is not running)');
    expect((await stack.readState()).linked).toBe('green');
    expect(await served()).toEqual(['v2']);
  });

  it('an unreadable state file is kept aside and rebuilt the same way', async () => {
    await writeFile(stack.stateFile, '{"version": 1, "linked": "gr');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stderr).toMatch(/State file unreadable \(kept as .*state\.json\.unreadable-/);
    expect((await stack.readState()).linked).toBe('green');
    expect(await served()).toEqual(['v2']);
  });

  it('an ambiguous world (both colours weighted in HAProxy) is refused: exit 3, nothing written, nothing moved', async () => {
    const backend = `be_${stack.name}`;
    await sendCommand({ path: adminSocket(), command: `set weight ${backend}/blue 100`, timeoutMs: 3000 });
    try {
      await rm(stack.stateFile);
      const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
      const up = await stack.cli(['up']);
      expect(up.exitCode, up.all).toBe(3);
      expect(up.stderr).toMatch(/no usable state file, and HAProxy gives both colours weight/);
      expect(await exists(stack.stateFile)).toBe(false);
      expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
      const stat = await sendCommand({ path: adminSocket(), command: 'show stat', timeoutMs: 3000 });
      const weights = stat
        .split('\n')
        .filter((l) => l.startsWith(`${backend},blue,`) || l.startsWith(`${backend},green,`))
        .map((l) => l.split(',')[18]);
      expect(weights).toEqual(['100', '100']);
    } finally {
      await sendCommand({ path: adminSocket(), command: `set weight ${backend}/blue 0`, timeoutMs: 3000 });
    }
    expect((await stack.cli(['up'])).exitCode).toBe(0);
    expect((await stack.readState()).linked).toBe('green');
  });

  it('a state file of another service is refused and left untouched', async () => {
    const text = (await readFile(stack.stateFile, 'utf8')).replace(`"service": "${stack.name}"`, '"service": "other"');
    await writeFile(stack.stateFile, text);
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(3);
    expect(up.stderr).toMatch(/belongs to service "other"/);
    expect(await readFile(stack.stateFile, 'utf8')).toBe(text);
    expect(await served()).toEqual(['v2']);
  });
});
