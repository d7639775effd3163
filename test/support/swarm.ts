import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { httpGet, versionOf } from './fakes.js';
import type { Sample } from './load.js';
import { type CliResult, haproxySettings, type Stack, type TestState, toCliResult } from './stack.js';

// A single-node Swarm on this machine for the Swarm engine's tests, and what they share: the
// app images with a Docker HEALTHCHECK (Swarm gates a task on it), polling, one-off requests
// and the per-switch version check. Each test file creates its own swarm and leaves it after.

export const APP = 'linkswitch-test-app';
// Once a second: a check is an exec costing about 70 ms of CPU, and a swarm test runs up to six
// tasks at once (a 200 ms interval made the checks alone load both cores, so they timed out and
// Swarm killed healthy tasks). A check that waits 5 s still passes on a slow hour.
const HEALTHCHECK = 'HEALTHCHECK --interval=1s --timeout=5s --start-period=2s --retries=3 CMD ["/healthcheck"]';

export async function docker(args: string[], input?: string): Promise<string> {
  const { stdout } = await execa('docker', args, { input, env: { DOCKER_BUILDKIT: '0' } });
  return stdout;
}

const GATEWAY_BRIDGE = 'docker_gwbridge';
let createdGatewayBridge = false;

/** `docker swarm init` on 127.0.0.1; refuses an engine that is already in a swarm (not ours to leave). */
export async function initSwarm(): Promise<void> {
  // No skipping: a machine where Swarm cannot start fails the test.
  const nodeState = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
  if (nodeState !== 'inactive')
    throw new Error(
      `this Docker engine is already in a swarm (${nodeState}); leave it first (docker swarm leave --force)`,
    );
  createdGatewayBridge = !(await networkExists(GATEWAY_BRIDGE));
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
}

/** Leaves the swarm, and removes the gateway bridge that `swarm init` created (leaving keeps it). */
export async function leaveSwarm(): Promise<void> {
  await execa('docker', ['swarm', 'leave', '--force'], { reject: false });
  if (createdGatewayBridge) await execa('docker', ['network', 'rm', GATEWAY_BRIDGE], { reject: false });
}

/**
 * The test app's versions with a Docker HEALTHCHECK: swarm-v1, swarm-v2, swarm-v3 (v2's code
 * answering as v3: a third distinct version, so a stale task after a switch is caught) and
 * swarm-unhealthy.
 */
export async function buildSwarmImages(): Promise<void> {
  const variants: Array<[string, string, string]> = [
    ['swarm-v1', 'v1', ''],
    ['swarm-v2', 'v2', ''],
    ['swarm-v3', 'v2', 'ENV APP_VERSION=v3\n'],
    ['swarm-unhealthy', 'unhealthy', ''],
  ];
  for (const [tag, base, extra] of variants) {
    await docker(['build', '-q', '-t', `${APP}:${tag}`, '-'], `FROM ${APP}:${base}\n${extra}${HEALTHCHECK}\n`);
  }
}

export async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One GET / on a fresh connection to 127.0.0.1 (or a test namespace's address). */
export async function get(port: number, host = '127.0.0.1'): Promise<{ status: number; version: string | null }> {
  const answer = await httpGet(port, { host, timeoutMs: 2000 });
  return { status: answer.status, version: versionOf(answer) };
}

export async function networkExists(name: string): Promise<boolean> {
  return (await execa('docker', ['network', 'inspect', name], { reject: false })).exitCode === 0;
}

/** Removes a network once no task is attached any more (Swarm detaches them asynchronously). */
export async function removeNetwork(name: string): Promise<void> {
  await until(
    `removal of network ${name}`,
    async () =>
      (await execa('docker', ['network', 'rm', name], { reject: false })).exitCode === 0 || !(await networkExists(name))
        ? true
        : null,
    30_000,
  );
}

export interface Switch {
  command: string;
  startedAt: number;
  returnedAt: number;
  version: string;
}

/** After each switch returned, every new request until the next one was answered by its version. */
export function expectEachSwitchServedOnlyItsVersion(switches: Switch[], samples: Sample[]): void {
  for (const [i, sw] of switches.entries()) {
    const next = switches[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
    const window = samples.filter((s) => s.startedAt > sw.returnedAt && s.startedAt < next);
    const wrong = window.filter((s) => s.version !== sw.version);
    expect(window.length, `no traffic after ${sw.command} #${i}`).toBeGreaterThan(0);
    expect(wrong.length, `${sw.command} #${i}: ${wrong.length} requests answered by ${wrong[0]?.version}`).toBe(0);
  }
}

export interface SwitchRun {
  /** Runs a deploy or rollback with --json, checks it and the state file, then waits 500 ms. */
  run(args: string[], version: string): Promise<void>;
  switches: Array<Switch & { durationMs: number }>;
}

export function switchRunner(
  cli: (args: string[]) => Promise<CliResult>,
  readState: () => Promise<TestState>,
): SwitchRun {
  const switches: SwitchRun['switches'] = [];
  return {
    switches,
    async run(args, version) {
      const startedAt = performance.now();
      const result = await cli([...args, '--json']);
      const returnedAt = performance.now();
      expect(result.exitCode, result.all).toBe(0);
      const state = await readState();
      expect(state.colours[state.linked]?.image).toBe(`${APP}:swarm-${version}`);
      expect(state.pending).toBeNull();
      switches.push({
        command: args[0]!,
        startedAt,
        returnedAt,
        version,
        durationMs: JSON.parse(result.stdout).durationMs,
      });
      await new Promise((r) => setTimeout(r, 500));
    },
  };
}

/** A Docker CLI bound to one engine (the main one, or a node of a test swarm). */
export type DockerCli = (args: string[]) => Promise<string>;

/** The haproxy block of a Swarm stack's config: inside HAProxy's container; the test publishes it. */
export function swarmHaproxySettings(port: number): Record<string, unknown> {
  return haproxySettings(`0.0.0.0:${port}`);
}

/**
 * `up` with HAProxy in a container: `up` creates blue, writes haproxy.cfg, then waits for
 * HAProxy's master socket; the container is started once the file exists, on the overlay
 * network, sharing the stack's run directory. Resolves once `up` has succeeded.
 */
export async function upWithHaproxyContainer(options: {
  stack: Stack;
  docker: DockerCli;
  container: string;
  network: string;
  /** `-p` value, e.g. `127.0.0.1:8080:8080`. */
  publish: string;
  image: string;
}): Promise<void> {
  const { stack } = options;
  const run = path.join(stack.dir, 'run');
  await mkdir(run, { recursive: true, mode: 0o700 });
  const up = stack.cli(['up']);
  await until(
    'haproxy.cfg',
    async () =>
      access(stack.haproxyCfg).then(
        () => true,
        () => null,
      ),
    90_000,
  );
  await options.docker([
    'run',
    '-d',
    '--name',
    options.container,
    '--label',
    `linkswitch.test=${stack.name}`,
    '--network',
    options.network,
    '-p',
    options.publish,
    '-v',
    `${run}:${run}`,
    options.image,
    '-W',
    '-db',
    '-S',
    `${run}/master.sock,mode,600`,
    '-f',
    stack.haproxyCfg,
  ]);
  const result = await up;
  expect(result.exitCode, result.all).toBe(0);
}

/** The running task's container of one service (`linkswitch`, `haproxy`) of a deployed stack. */
export async function stackTask(docker: DockerCli, stackName: string, service: string): Promise<string> {
  const ids = (
    await docker([
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${stackName}_${service}`,
      '--filter',
      'status=running',
    ])
  )
    .split('\n')
    .filter(Boolean);
  if (ids.length !== 1) throw new Error(`expected one running ${service} task, found ${ids.length}`);
  return ids[0]!;
}

/** The running sidecar task's container of a deployed `compose/swarm-stack.yml`. */
export function sidecarTask(docker: DockerCli, stackName: string): Promise<string> {
  return stackTask(docker, stackName, 'linkswitch');
}

/** `linkswitch …` inside the sidecar task (`env`: DOCKER_HOST of the engine it runs on). */
/**
 * Waits until the stack's sidecar has finished its start-up reconcile ("Sidecar serving" in its
 * log). HAProxy may serve the linked colour before then, while that reconcile still holds the
 * deploy lock: a deploy at that moment is refused (exit 4), as it would be for a user.
 */
export async function sidecarServing(stackName: string, env: Record<string, string> = {}): Promise<void> {
  await until(
    "the sidecar's start-up reconcile",
    async () => {
      const logs = await execa('docker', ['service', 'logs', '--raw', `${stackName}_linkswitch`], {
        env,
        reject: false,
        all: true,
      });
      return logs.all.includes('Sidecar serving') ? true : null;
    },
    120_000,
  );
}

export async function sidecarExec(
  docker: DockerCli,
  stackName: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return toCliResult(
    await execa('docker', ['exec', await sidecarTask(docker, stackName), 'linkswitch', ...args], {
      env,
      reject: false,
      all: true,
      timeout: 120_000,
    }),
  );
}
