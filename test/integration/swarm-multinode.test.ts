import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  buildLocalHaproxyImage,
  buildSidecarImage,
  LOCAL_HAPROXY_IMAGE,
  ROOT,
  SIDECAR_IMAGE,
} from '../../scripts/local-images.js';
import { readStateFrom } from '../support/compose-stack.js';
import { failures, startLoad } from '../support/load.js';
import { type CliResult, createStack, freePort, nameSuffix, type Stack, TEMPLATES } from '../support/stack.js';
import {
  APP,
  buildSwarmImages,
  expectEachSwitchServedOnlyItsVersion,
  get,
  sidecarExec,
  sidecarServing,
  sidecarTask,
  swarmHaproxySettings,
  switchRunner,
  until,
  upWithHaproxyContainer,
} from '../support/swarm.js';
import { createSwarmCluster, type SwarmCluster } from '../support/swarm-cluster.js';

// The Swarm engine on a real 3-node swarm built on this machine (one dockerd per network
// namespace, the overlay between them): the colours' tasks constrained to the two workers (2
// replicas, spread), HAProxy in a container on the manager on the overlay network, the
// controller talking to the manager. Under keep-alive load to the manager's address: deploys and
// rollbacks, a node drained while serving, and a worker's engine killed in the middle of a deploy.

const REPLICAS = 2;

let cluster: SwarmCluster;

beforeAll(async () => {
  await Promise.all([buildLocalHaproxyImage(), buildSwarmImages(), buildSidecarImage()]);
  cluster = await createSwarmCluster({
    workers: 2,
    images: [`${APP}:swarm-v1`, `${APP}:swarm-v2`, `${APP}:swarm-v3`, LOCAL_HAPROXY_IMAGE, SIDECAR_IMAGE],
  });
}, 300_000);
afterAll(async () => {
  await cluster?.destroy();
}, 120_000);

/** The node IDs a colour's running tasks are on. */
async function taskNodes(service: string): Promise<string[]> {
  const ids = (await cluster.manager.docker(['service', 'ps', '-q', '--filter', 'desired-state=running', service]))
    .split('\n')
    .filter(Boolean);
  return Promise.all(
    ids.map(async (id) => (await cluster.manager.docker(['inspect', '-f', '{{.NodeID}}', id])).trim()),
  );
}

describe('Swarm engine on a 3-node swarm (1 manager, 2 workers)', () => {
  let stack: Stack;
  let haproxyContainer = '';
  let host = '';
  const cli = (args: string[]): Promise<CliResult> => stack.cli(args);
  const colourNodes = (colour: string) => taskNodes(`${stack.name}-${colour}`);

  beforeAll(async () => {
    host = cluster.manager.ip;
    stack = await createStack('mnode', { image: `${APP}:swarm-v1` }, { env: cluster.manager.env });
    const network = `${stack.name}-net`;
    haproxyContainer = `${stack.name}-haproxy`;
    await cluster.manager.docker(['network', 'create', '--driver', 'overlay', '--attachable', network]);
    await stack.writeConfig({
      engine: {
        kind: 'swarm',
        replicas: REPLICAS,
        network,
        constraints: ['node.role==worker'],
        update: { parallelism: 1, delay: '0s', order: 'start-first' },
      },
      health: { interval: '100ms', timeout: '20s' },
      haproxy: swarmHaproxySettings(stack.port),
    });
    // On the manager, published on the manager's address (its namespace).
    await upWithHaproxyContainer({
      stack,
      docker: cluster.manager.docker,
      container: haproxyContainer,
      network,
      publish: `${stack.port}:${stack.port}`,
      image: LOCAL_HAPROXY_IMAGE,
    });
    await until(
      'v1 through HAProxy on the manager',
      async () => ((await get(stack.port, host)).version === 'v1' ? true : null),
      60_000,
    );
  }, 300_000);

  afterAll(async () => {
    await cluster?.manager.docker(['rm', '-f', haproxyContainer]).catch(() => undefined);
    await stack?.destroy().catch(() => undefined);
  }, 120_000);

  it('spreads the tasks over both workers; deploys and rolls back under load with zero failed requests', {
    timeout: 240_000,
  }, async () => {
    const workerIds = cluster.workers.map((w) => cluster.nodeIds[w.name]);
    expect(new Set(await colourNodes('blue'))).toEqual(new Set(workerIds));
    const load = startLoad({ host, port: stack.port, connections: 8, maxDurationMs: 200_000 });
    const { run, switches } = switchRunner(cli, () => stack.readState());
    await sleep(500);
    await run(['deploy', '--image', `${APP}:swarm-v2`], 'v2');
    expect(new Set(await colourNodes('green'))).toEqual(new Set(workerIds));
    await run(['rollback'], 'v1');
    await run(['deploy', '--image', `${APP}:swarm-v3`], 'v3');
    await run(['rollback'], 'v1');
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    expectEachSwitchServedOnlyItsVersion(switches, samples);
    console.log(
      JSON.stringify({
        multinode: 'switches',
        requests: samples.length,
        failed: 0,
        deployMs: switches.filter((s) => s.command === 'deploy').map((s) => Math.round(s.returnedAt - s.startedAt)),
        rollbackMs: switches.filter((s) => s.command === 'rollback').map((s) => Math.round(s.returnedAt - s.startedAt)),
      }),
    );
  });

  it("a worker drained while serving: its tasks move to the other worker, HAProxy's DNS follows, zero failed requests", {
    timeout: 120_000,
  }, async () => {
    const [first, second] = cluster.workers as [(typeof cluster.workers)[0], (typeof cluster.workers)[0]];
    const load = startLoad({ host, port: stack.port, connections: 8, maxDurationMs: 100_000 });
    await sleep(500);
    const drainedAt = performance.now();
    await cluster.manager.docker(['node', 'update', '--availability', 'drain', cluster.nodeIds[first.name]!]);
    await until(
      'the linked colour to run on the other worker only',
      async () => {
        const nodes = await colourNodes('blue');
        return nodes.length === REPLICAS && nodes.every((n) => n === cluster.nodeIds[second.name]) ? true : null;
      },
      60_000,
    );
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    const blue = status.colours.find((c: { colour: string }) => c.colour === 'blue');
    await until(
      'HAProxy to resolve the moved tasks',
      async () => {
        const view = JSON.parse((await cli(['status', '--json'])).stdout).colours.find(
          (c: { colour: string }) => c.colour === 'blue',
        );
        return view.haproxy?.members === REPLICAS && view.haproxy?.status?.startsWith('UP') ? true : null;
      },
      60_000,
    );
    const followedMs = performance.now() - drainedAt;
    await sleep(1000);
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set(['v1']));
    await cluster.manager.docker(['node', 'update', '--availability', 'active', cluster.nodeIds[first.name]!]);
    console.log(
      JSON.stringify({
        multinode: 'drain',
        requests: samples.length,
        failed: 0,
        dnsFollowedMs: Math.round(followedMs),
        tasksBefore: blue?.tasks?.length,
      }),
    );
  });

  it("a worker's engine killed in the middle of a deploy: the deploy completes or aborts cleanly; the live colour keeps serving", {
    timeout: 150_000,
  }, async () => {
    const load = startLoad({ host, port: stack.port, connections: 8, maxDurationMs: 120_000 });
    await sleep(500);
    const victim = cluster.workers[1]!;
    const deploy = cli(['deploy', '--image', `${APP}:swarm-v2`, '--json']);
    await sleep(1500);
    await victim.killEngine();
    const result = await deploy;
    const state = await stack.readState();
    expect(state.pending).toBeNull();
    const linkedVersion = state.colours[state.linked]?.image?.split(':swarm-').pop();
    if (result.exitCode === 0) expect(linkedVersion).toBe('v2');
    else expect(linkedVersion).toBe('v1');
    for (let i = 0; i < 10; i++) expect((await get(stack.port, host)).version).toBe(linkedVersion);
    await victim.startEngine();
    await cluster.waitReady();
    await sleep(1000);
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    console.log(
      JSON.stringify({
        multinode: 'worker-engine-killed',
        deployExit: result.exitCode,
        linked: linkedVersion,
        requests: samples.length,
        failed: 0,
      }),
    );
  });
});

describe('the sidecar stack (compose/swarm-stack.yml) on the manager, the colours on the workers', () => {
  const STACK_FILE = path.join(ROOT, 'compose', 'swarm-stack.yml');
  let dir = '';
  let stackName = '';
  let httpPort = 0;
  const sidecar = () => sidecarTask(cluster.manager.docker, stackName);
  const exec = (args: string[]) => sidecarExec(cluster.manager.docker, stackName, args, cluster.manager.env);

  beforeAll(async () => {
    await cluster.manager.docker(['node', 'update', '--label-add', 'linkswitch.edge=true', cluster.nodeIds.n1!]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-mnstack-'));
    const suffix = nameSuffix(dir);
    stackName = `lsm${suffix}`;
    const network = `${stackName}-net`;
    httpPort = await freePort();
    const etc = path.join(dir, 'etc');
    await mkdir(etc);
    await cp(TEMPLATES, path.join(dir, 'templates'), { recursive: true });
    const config = parse(await readFile(path.join(ROOT, 'compose', 'swarm', 'linkswitch.yml'), 'utf8'));
    config.service = { ...config.service, name: `lsm-${suffix}`, image: `${APP}:swarm-v1` };
    config.engine = {
      ...config.engine,
      network,
      constraints: ['node.role==worker'],
      update: { parallelism: 1, delay: '0s', order: 'start-first' },
    };
    config.health = { ...config.health, interval: '100ms', timeout: '60s' };
    config.haproxy = { ...config.haproxy, check: { inter: '200ms' } };
    await writeFile(path.join(etc, 'linkswitch.yml'), stringify(config));
    await cluster.manager.docker(['network', 'create', '--driver', 'overlay', '--attachable', network]);
    await execa('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', STACK_FILE, stackName], {
      env: {
        ...cluster.manager.env,
        HAPROXY_IMAGE: LOCAL_HAPROXY_IMAGE,
        LINKSWITCH_IMAGE: SIDECAR_IMAGE,
        LINKSWITCH_HTTP_PORT: String(httpPort),
        LINKSWITCH_NETWORK: network,
        LINKSWITCH_ETC: etc,
        LINKSWITCH_TEMPLATES: path.join(dir, 'templates'),
        // The manager's engine, not this machine's main one.
        LINKSWITCH_DOCKER_SOCKET: cluster.manager.socket,
      },
    });
    await until(
      'v1 through the stack',
      async () => ((await get(httpPort, cluster.manager.ip)).version === 'v1' ? true : null),
      120_000,
    );
    await sidecarServing(stackName, cluster.manager.env);
  }, 240_000);
  afterAll(async () => {
    await execa('docker', ['stack', 'rm', stackName], { env: cluster.manager.env, reject: false });
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }, 60_000);

  it('deploys and rolls back through the sidecar under load, the tasks on both workers, zero failed requests', {
    timeout: 180_000,
  }, async () => {
    const service = `lsm-${stackName.slice(3)}`;
    const workerIds = new Set(cluster.workers.map((w) => cluster.nodeIds[w.name]));
    expect(new Set(await taskNodes(`${service}-blue`))).toEqual(workerIds);
    const load = startLoad({ host: cluster.manager.ip, port: httpPort, connections: 8, maxDurationMs: 150_000 });
    const { run, switches } = switchRunner(exec, async () => readStateFrom(await sidecar(), dir, cluster.manager.env));
    await sleep(500);
    await run(['deploy', '--image', `${APP}:swarm-v2`], 'v2');
    // Spread is Swarm's placement when a colour is created; an in-place update need not keep it.
    expect(new Set(await taskNodes(`${service}-green`))).toEqual(workerIds);
    await run(['rollback'], 'v1');
    await run(['deploy', '--image', `${APP}:swarm-v3`], 'v3');
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    expectEachSwitchServedOnlyItsVersion(switches, samples);
    console.log(
      JSON.stringify({
        multinode: 'sidecar-stack',
        requests: samples.length,
        failed: 0,
        switchMs: switches.map((s) => Math.round(s.returnedAt - s.startedAt)),
      }),
    );
  });
});
