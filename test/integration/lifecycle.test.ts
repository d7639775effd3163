import { readFile, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { httpGet, versionOf } from '../support/fakes.js';
import { createStack, type Stack } from '../support/stack.js';

// up / status / render / down against the real engine and HAProxy, plus recovery from an
// interrupted deploy recorded in the state file.

/** One request on a fresh connection, so it is answered by HAProxy's current worker. */
async function get(port: number): Promise<string> {
  const answer = await httpGet(port);
  return versionOf(answer) ?? `HTTP ${answer.status}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stack lifecycle', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await createStack('life');
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('up creates the state, the linked container and HAProxy; a second up changes nothing', async () => {
    const first = await stack.cli(['up', '--json']);
    expect(first.exitCode, first.all).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ linked: 'blue', generation: 0, configChanged: true });
    expect(await get(stack.port)).toBe('v1');
    const state = await readFile(stack.stateFile, 'utf8');
    const cfgStat = await stat(stack.haproxyCfg);
    expect((await stat(stack.stateFile)).mode & 0o777).toBe(0o600);
    expect(cfgStat.mode & 0o777).toBe(0o600);
    expect((await stat(`${stack.dir}/run/admin.sock`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${stack.dir}/run/master.sock`)).mode & 0o777).toBe(0o600);

    const second = await stack.cli(['up', '--json']);
    expect(second.exitCode, second.all).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ configChanged: false, steps: ['apply-config'] });
    expect(await readFile(stack.stateFile, 'utf8')).toBe(state);
    expect((await stat(stack.haproxyCfg)).mtimeMs).toBe(cfgStat.mtimeMs);
  });

  it("status reports the linked colour and HAProxy's view of each server", async () => {
    const result = await stack.cli(['status', '--json']);
    expect(result.exitCode, result.all).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ service: stack.name, linked: 'blue', haproxy: { running: true, error: null } });
    expect(report.colours[0]).toMatchObject({
      colour: 'blue',
      linked: true,
      running: true,
      image: 'linkswitch-test-app:v1',
      haproxy: { weight: 100 },
    });
    expect(report.colours[1]).toMatchObject({
      colour: 'green',
      linked: false,
      running: false,
      health: 'absent',
      // A colour without a container is a placeholder server in maintenance (no reload to add it).
      haproxy: { status: 'MAINT', weight: 0 },
    });
    const human = await stack.cli(['status']);
    expect(human.stdout).toMatch(/blue linked, generation 0/);
  });

  it('render prints the config and says when the live file is up to date; --check validates it', async () => {
    const result = await stack.cli(['render', '--check']);
    expect(result.exitCode, result.all).toBe(0);
    // execa strips the final newline of stdout.
    expect(result.stdout).toBe((await readFile(stack.haproxyCfg, 'utf8')).trimEnd());
    expect(result.stderr).toMatch(/is up to date/);
    expect(result.stderr).toMatch(/configuration is valid/);
  });

  it('deploy --dry-run prints the plan and changes nothing', async () => {
    const state = await readFile(stack.stateFile, 'utf8');
    const result = await stack.cli(['deploy', '--dry-run', '--image', 'linkswitch-test-app:v2']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/create and start green from linkswitch-test-app:v2/);
    expect(result.stdout).toMatch(/switch traffic from blue to green/);
    expect(await readFile(stack.stateFile, 'utf8')).toBe(state);
    const { exitCode } = await execa('docker', ['inspect', `${stack.name}-green`], { reject: false });
    expect(exitCode).not.toBe(0);
  });

  it('up brings back a linked container that was removed behind its back', async () => {
    await execa('docker', ['rm', '-f', `${stack.name}-blue`]);
    const result = await stack.cli(['up', '--json']);
    expect(result.exitCode, result.all).toBe(0);
    expect(JSON.parse(result.stdout).steps).toContain('run-container');
    expect(await get(stack.port)).toBe('v1');
  });

  it('up recovers an interrupted deploy that never switched: the recorded colour stays linked', async () => {
    const state = await stack.readState();
    await writeFile(
      stack.stateFile,
      JSON.stringify({
        ...state,
        pending: {
          colour: 'green',
          image: 'linkswitch-test-app:v2',
          startedAt: new Date().toISOString(),
          phase: 'deploying',
        },
      }),
    );
    const status = await stack.cli(['status']);
    expect(status.stdout).toMatch(/interrupted deploy of green/);
    const result = await stack.cli(['up']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stderr).toMatch(/Interrupted deploy had not switched/);
    const after = await stack.readState();
    expect(after).toMatchObject({ linked: 'blue', pending: null, generation: state.generation });
    expect(await get(stack.port)).toBe('v1');
  });

  it('deploy finishes the bookkeeping of an interrupted deploy that had already switched', async () => {
    const deployed = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2', '--json']);
    expect(deployed.exitCode, deployed.all).toBe(0);
    const state = await stack.readState();
    expect(state.linked).toBe('green');
    // Simulate a crash after the runtime flip to blue but before the state was written.
    await writeFile(
      stack.stateFile,
      JSON.stringify({
        ...state,
        pending: {
          colour: 'blue',
          image: 'linkswitch-test-app:v1',
          startedAt: new Date().toISOString(),
          phase: 'deploying',
        },
      }),
    );
    const admin = `${stack.dir}/run/admin.sock`;
    await sendCommand({
      path: admin,
      command: `set weight be_${stack.name}/blue 100; set weight be_${stack.name}/green 0`,
      timeoutMs: 5000,
    });
    expect(await get(stack.port)).toBe('v1');
    const result = await stack.cli(['up']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stderr).toMatch(/had already switched; recording it/);
    expect(await stack.readState()).toMatchObject({ linked: 'blue', pending: null, generation: state.generation + 1 });
    expect(await get(stack.port)).toBe('v1');
  });

  it('down removes both colours and stops HAProxy; up brings everything back', async () => {
    const pid = Number((await readFile(`${stack.dir}/run/haproxy.pid`, 'utf8')).trim());
    const result = await stack.cli(['down']);
    expect(result.exitCode, result.all).toBe(0);
    expect(alive(pid)).toBe(false);
    for (const colour of ['blue', 'green']) {
      const { exitCode } = await execa('docker', ['inspect', `${stack.name}-${colour}`], { reject: false });
      expect(exitCode).not.toBe(0);
    }
    const status = JSON.parse((await stack.cli(['status', '--json'])).stdout);
    expect(status.haproxy.running).toBe(false);
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    expect(await get(stack.port)).toBe('v1');
  });
});
