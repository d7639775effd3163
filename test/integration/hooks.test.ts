import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failures, startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// Deploy hooks and `linkswitch run` against the real engine and HAProxy: the order they run in,
// what they are told, a failing pre-switch that leaves traffic alone, a hanging hook killed at
// its timeout, and a one-off container whose exit code comes back.

// A host hook: appends what it was told to hooks.log; pre-switch fetches the new colour first.
const HOOK = `
const fs = require('node:fs');
const http = require('node:http');
const [what] = process.argv.slice(2);
const env = Object.keys(process.env).filter((k) => k.startsWith('LINKSWITCH_')).sort()
  .map((k) => k + '=' + process.env[k]).join(' ');
const log = (extra) => fs.appendFileSync(__dirname + '/hooks.log', what + ' ' + env + extra + '\\n');
if (what === 'fail') { console.log('smoke test: 1 of 3 pages failed'); log(''); process.exit(3); }
if (what === 'hang') { console.log('hanging'); setInterval(() => {}, 1000); }
else if (what === 'smoke') {
  http.get('http://' + process.env.LINKSWITCH_ADDRESS + '/', (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => { log(' saw=' + body.trim()); console.log('smoke ok'); });
  });
} else { log(''); console.log(what + ' ran'); }
`;

describe('deploy hooks and run', () => {
  let stack: Stack;
  let hookLog: string;
  const hook = (what: string, timeout = '30s') => ({ command: ['node', './hook.cjs', what], timeout });
  const configure = (hooks: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    stack.writeConfig({
      service: stack.serviceWith({ hooks, ...extra }),
    });
  const running = async (colour: string) =>
    (await execa('docker', ['inspect', '-f', '{{.State.Running}}', `${stack.name}-${colour}`])).stdout === 'true';
  const logLines = async () => (await readFile(hookLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const oneOffs = async () =>
    (
      await execa('docker', [
        'ps',
        '-aq',
        '--filter',
        `label=linkswitch.service=${stack.name}`,
        '--filter',
        'label=linkswitch.role=one-off',
      ])
    ).stdout;

  beforeAll(async () => {
    stack = await createStack('hooks');
    hookLog = path.join(stack.dir, 'hooks.log');
    await writeFile(path.join(stack.dir, 'hook.cjs'), HOOK);
    await configure({});
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('runs pre-deploy (host and container), pre-switch against the new colour, post-switch, post-rollback, in order', async () => {
    await configure({
      'pre-deploy': [hook('pre-deploy'), { container: ['task', 'env'], timeout: '30s' }],
      'pre-switch': hook('smoke'),
      'post-switch': hook('post-switch'),
      'post-rollback': hook('post-rollback'),
    });
    const { generation } = await stack.readState();
    const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2', '--json']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const summary = JSON.parse(deploy.stdout);
    const lines = await logLines();
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['pre-deploy', 'smoke', 'post-switch']);
    const [pre, smoke, post] = lines as [string, string, string];
    expect(pre).toContain(`LINKSWITCH_SERVICE=${stack.name}`);
    expect(pre).toContain('LINKSWITCH_COLOUR=green');
    expect(pre).toContain('LINKSWITCH_IMAGE=linkswitch-test-app:v2');
    expect(pre).toContain(`LINKSWITCH_GENERATION=${generation + 1}`);
    expect(pre).toContain('LINKSWITCH_LINKED=blue');
    // pre-switch reached the new colour (healthy, no user traffic yet) at its address.
    expect(smoke).toMatch(/LINKSWITCH_ADDRESS=127\.0\.0\.1:\d+ .*saw=v2$/);
    expect(smoke).toContain('LINKSWITCH_LINKED=blue');
    expect(post).toContain('LINKSWITCH_LINKED=green');
    // The container hook ran in the new image with the same variables; --json has every hook.
    expect(
      summary.hooks.map((h: { phase: string; kind: string; exitCode: number }) => [h.phase, h.kind, h.exitCode]),
    ).toEqual([
      ['pre-deploy', 'command', 0],
      ['pre-deploy', 'container', 0],
      ['pre-switch', 'command', 0],
      ['post-switch', 'command', 0],
    ]);
    const inContainer = summary.hooks[1].output as string;
    expect(inContainer).toContain('APP_VERSION=v2');
    expect(inContainer).toContain('LINKSWITCH_COLOUR=green');
    expect(inContainer).toContain('LINKSWITCH_HOOK=pre-deploy');
    expect(summary.hooks[2].output).toContain('smoke ok');
    expect(await oneOffs()).toBe('');
    const rollback = await stack.cli(['rollback']);
    expect(rollback.exitCode, rollback.all).toBe(0);
    expect((await logLines()).at(-1)).toMatch(/^post-rollback .*LINKSWITCH_COLOUR=blue/);
    // The plain step lines show a hook's output as it comes.
    expect(rollback.stderr).toContain('post-rollback ran');
  });

  it('a failing pre-switch aborts the deploy under load: exit 10, traffic and state untouched, on-failure told why', async () => {
    await configure({ 'pre-switch': hook('fail'), 'on-failure': hook('on-failure') });
    const before = await stack.readState();
    const load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 60_000 });
    const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    const samples = await load.stop();
    expect(deploy.exitCode, deploy.all).toBe(10);
    expect(deploy.stderr).toMatch(
      /pre-switch hook `.*hook\.cjs fail` exited with 3; the deploy stopped before the switch/,
    );
    expect(deploy.stderr).toContain('smoke test: 1 of 3 pages failed');
    expect(failures(samples)).toEqual([]);
    const serving = before.colours[before.linked]!.image.split(':')[1];
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set([serving]));
    const after = await stack.readState();
    expect(after.linked).toBe(before.linked);
    expect(after.generation).toBe(before.generation);
    expect(after.pending).toBeNull();
    const failure = (await logLines()).at(-1)!;
    expect(failure).toMatch(/^on-failure .*LINKSWITCH_ERROR=pre-switch hook/);
  });

  it('kills a hanging hook at its timeout (host command and container) and changes nothing', async () => {
    const before = await stack.readState();
    for (const hang of [hook('hang', '1s'), { container: ['task', 'sleep', '60000'], timeout: '1s' }]) {
      await configure({ 'pre-deploy': hang });
      const started = performance.now();
      const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
      expect(deploy.exitCode, deploy.all).toBe(10);
      expect(deploy.stderr).toMatch(/pre-deploy hook .* timed out after 1 s/);
      // Killed at its 1 s timeout, not left to hang for its 60 s (half of that is a safe bound).
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(await stack.readState()).toEqual(before);
    }
    expect(await oneOffs()).toBe('');
  });

  it('run: a one-off container with the service spec, its output and exit code passed through, removed afterwards', async () => {
    await configure({});
    const ok = await stack.cli(['run', '--', 'task', 'env']);
    expect(ok.exitCode, ok.all).toBe(0);
    // The linked colour's image by default.
    const state = await stack.readState();
    expect(ok.stdout).toContain(`APP_VERSION=${state.colours[state.linked]!.image.split(':')[1]}`);
    const failed = await stack.cli(['run', stack.name, '--image', 'linkswitch-test-app:v2', '--', 'task', 'exit', '7']);
    expect(failed.exitCode, failed.all).toBe(7);
    expect(failed.stdout).toContain('task: exiting with 7');
    expect(failed.stdout).toContain('task: a line on stderr');
    const none = await stack.cli(['run']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/run: no command given; put the command after --/);
    expect(await oneOffs()).toBe('');
  });

  it('keepWarm: false stops the old colour after its drain; rollback starts it again, losing no request', async () => {
    await configure({}, { keepWarm: false });
    const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const { linked } = await stack.readState();
    const other = linked === 'blue' ? 'green' : 'blue';
    expect(await running(linked)).toBe(true);
    expect(await running(other)).toBe(false);
    const load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 60_000 });
    const rollback = await stack.cli(['rollback', '--json']);
    const samples = await load.stop();
    expect(rollback.exitCode, rollback.all).toBe(0);
    expect(JSON.parse(rollback.stdout).steps).toEqual(
      expect.arrayContaining(['start-container', 'wait-healthy', 'stop-container']),
    );
    expect(failures(samples)).toEqual([]);
    expect((await stack.readState()).linked).toBe(other);
    expect(await running(other)).toBe(true);
    expect(await running(linked)).toBe(false);
  });
});
