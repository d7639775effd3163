import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalHaproxyImage } from '../../scripts/local-images.js';
import { failures, startLoad } from '../support/load.js';
import { type CliResult, createStack, type Stack } from '../support/stack.js';
import {
  APP,
  buildSwarmImages,
  docker,
  expectEachSwitchServedOnlyItsVersion,
  get,
  initSwarm,
  leaveSwarm,
  removeNetwork,
  swarmHaproxySettings,
  switchRunner,
  until,
  upWithHaproxyContainer,
} from '../support/swarm.js';

// The Swarm engine on a single-node Swarm on this machine: each colour is a Swarm service with
// 2 replicas (endpoint_mode dnsrr) on an attachable overlay network, and HAProxy runs in a
// container on that network (it must reach Docker's DNS at 127.0.0.11), publishing its frontend
// on 127.0.0.1 and sharing its socket directory with the CLI on the host. The swarm, the
// network, the services and the HAProxy container are ours: all removed afterwards.

const REPLICAS = 2;

describe('Swarm engine (single-node swarm, 2 replicas per colour)', () => {
  let stack: Stack;
  let swarmInitialised = false;
  let network = '';
  let haproxyContainer = '';

  beforeAll(async () => {
    await initSwarm();
    swarmInitialised = true;
    await Promise.all([buildLocalHaproxyImage(), buildSwarmImages()]);

    stack = await createStack('swarm', { image: `${APP}:swarm-v1` });
    network = `${stack.name}-net`;
    haproxyContainer = `${stack.name}-haproxy`;
    await docker([
      'network',
      'create',
      '--driver',
      'overlay',
      '--attachable',
      '--label',
      `linkswitch.test=${stack.name}`,
      network,
    ]);
    await stack.writeConfig({
      engine: {
        kind: 'swarm',
        replicas: REPLICAS,
        network,
        update: { parallelism: 1, delay: '0s', order: 'start-first' },
      },
      health: { interval: '100ms', timeout: '30s' },
      haproxy: swarmHaproxySettings(stack.port),
    });
    // Published on 127.0.0.1 only.
    await upWithHaproxyContainer({
      stack,
      docker,
      container: haproxyContainer,
      network,
      publish: `127.0.0.1:${stack.port}:${stack.port}`,
      image: 'linkswitch-haproxy:local',
    });
    await until(
      'v1 answering through HAProxy',
      async () => ((await get(stack.port)).version === 'v1' ? true : null),
      30_000,
    );
  }, 180_000);

  afterAll(async () => {
    // Everything we created, even after a failure; each step on its own.
    const steps: Array<() => Promise<unknown>> = [
      async () => haproxyContainer && execa('docker', ['rm', '-f', haproxyContainer], { reject: false }),
      async () => stack?.destroy(),
      async () =>
        stack && execa('docker', ['service', 'rm', `${stack.name}-blue`, `${stack.name}-green`], { reject: false }),
      async () => network && removeNetwork(network),
      async () => swarmInitialised && leaveSwarm(),
    ];
    for (const step of steps) await step().catch((error) => console.warn('cleanup:', error));
  }, 120_000);

  const cli = async (args: string[]): Promise<CliResult> => stack.cli(args);

  it('deploys and rolls back under keep-alive load with zero failed requests', { timeout: 150_000 }, async () => {
    const load = startLoad({ port: stack.port, connections: 8, maxDurationMs: 120_000 });
    const { run, switches } = switchRunner(cli, () => stack.readState());
    await new Promise((r) => setTimeout(r, 500));
    // Three distinct versions: the second and third deploys update green in place (v2 → v3 →
    // v2), so a task of the previous image still resolved after a switch would be caught.
    await run(['deploy', '--image', `${APP}:swarm-v2`], 'v2');
    await run(['rollback'], 'v1');
    await run(['deploy', '--image', `${APP}:swarm-v3`], 'v3');
    await run(['rollback'], 'v1');
    await run(['deploy', '--image', `${APP}:swarm-v2`], 'v2');

    // status: each colour's tasks, per node.
    const status = await cli(['status', '--json']);
    expect(status.exitCode, status.all).toBe(0);
    const report = JSON.parse(status.stdout);
    const hostname = (await docker(['info', '--format', '{{.Name}}'])).trim();
    for (const colour of report.colours) {
      expect(colour.tasks.filter((t: { state: string }) => t.state === 'running')).toHaveLength(REPLICAS);
      expect(colour.tasks.every((t: { node: string }) => t.node === hostname)).toBe(true);
      expect(colour.haproxy.members).toBe(REPLICAS);
    }
    const text = await cli(['status']);
    expect(text.stdout).toMatch(new RegExp(`task \\w+ on ${hostname}: running`));

    const samples = await load.stop();
    const failed = failures(samples);
    const deploys = switches.filter((s) => s.command === 'deploy');
    const rollbacks = switches.filter((s) => s.command === 'rollback');
    console.log(
      JSON.stringify({
        swarm: true,
        requests: samples.length,
        failed: failed.length,
        deploys: deploys.map((s) => Math.round(s.durationMs)),
        rollbacks: rollbacks.map((s) => Math.round(s.durationMs)),
      }),
    );
    expect(samples.length).toBeGreaterThan(1000);
    expect(failed.slice(0, 5)).toEqual([]);
    expectEachSwitchServedOnlyItsVersion(switches, samples);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set(['v1', 'v2', 'v3']));
    // Every reload handed the task addresses to the new worker through the server-state file.
    await access(path.join(stack.dir, 'run', 'servers.state'));
    const { all: haproxyLog = '' } = await execa('docker', ['logs', haproxyContainer], { all: true, reject: false });
    expect(haproxyLog.split('\n').filter((l) => /ALERT/.test(l))).toEqual([]);
    expect(haproxyLog).toMatch(/from server-state after a reload/);
  });

  it('a task that never becomes healthy aborts the deploy; the live colour keeps serving', {
    timeout: 90_000,
  }, async () => {
    const before = await stack.readState();
    const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
    const load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 60_000 });
    const started = performance.now();
    const result = await cli(['deploy', '--image', `${APP}:swarm-unhealthy`]);
    const abortedAfterMs = Math.round(performance.now() - started);
    const samples = await load.stop();
    console.log(
      JSON.stringify({
        swarm: true,
        unhealthyDeploy: {
          exitCode: result.exitCode,
          abortedAfterMs,
          requests: samples.length,
          failed: failures(samples).length,
        },
      }),
    );

    expect(result.exitCode, result.all).toBe(5);
    expect(result.stderr).toMatch(/did not become healthy/);
    // Swarm's failed task is the signal, not the 30 s health timeout (the time is logged above).
    expect(result.stderr).toMatch(/keeps exiting|exited with code|restarted \d+ times/);
    expect(result.stderr).not.toMatch(/still failing after/);
    const after = await stack.readState();
    expect(after.linked).toBe(before.linked);
    expect(after.generation).toBe(before.generation);
    expect(after.colours).toEqual(before.colours);
    expect(after.pending).toBeNull();
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
    expect(failures(samples).slice(0, 5)).toEqual([]);
    expect(samples.length).toBeGreaterThan(100);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set(['v2']));
    // The failed colour is scaled to 0 (kept for `docker service logs`); the live one still has its replicas.
    const idle = before.linked === 'blue' ? 'green' : 'blue';
    expect(
      (
        await docker(['service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', `${stack.name}-${idle}`])
      ).trim(),
    ).toBe('0');
    expect(
      (
        await docker([
          'service',
          'inspect',
          '--format',
          '{{.Spec.Mode.Replicated.Replicas}}',
          `${stack.name}-${before.linked}`,
        ])
      ).trim(),
    ).toBe(String(REPLICAS));
    expect((await get(stack.port)).version).toBe('v2');
  });
});
