import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalHaproxyImage, LOCAL_HAPROXY_IMAGE } from '../../scripts/local-images.js';
import { failures, startLoad } from '../support/load.js';
import { type CliResult, createStack, type Stack, TEMPLATES } from '../support/stack.js';
import {
  APP,
  buildSwarmImages,
  expectEachSwitchServedOnlyItsVersion,
  get,
  switchRunner,
  until,
} from '../support/swarm.js';
import { createSwarmCluster, type SwarmCluster } from '../support/swarm-cluster.js';

// The Swarm engine on a real 3-node swarm built on this machine (one dockerd per network
// namespace, the overlay between them): the colours' tasks constrained to the two workers (2
// replicas, spread), HAProxy in a container on the manager on the overlay network, the
// controller talking to the manager. Under keep-alive load to the manager's address: deploys and
// rollbacks, a node drained while serving, and a worker's engine killed in the middle of a deploy.

const REPLICAS = 2;

describe('Swarm engine on a 3-node swarm (1 manager, 2 workers)', () => {
  let cluster: SwarmCluster;
  let stack: Stack;
  let haproxyContainer = '';
  let host = '';
  const cli = (args: string[]): Promise<CliResult> => stack.cli(args);
  /** The worker node IDs the colour's running tasks are on. */
  const taskNodes = async (colour: string) => {
    const ids = (
      await cluster.manager.docker([
        'service',
        'ps',
        '-q',
        '--filter',
        'desired-state=running',
        `${stack.name}-${colour}`,
      ])
    )
      .split('\n')
      .filter(Boolean);
    return Promise.all(
      ids.map(async (id) => (await cluster.manager.docker(['inspect', '-f', '{{.NodeID}}', id])).trim()),
    );
  };

  beforeAll(async () => {
    await Promise.all([buildLocalHaproxyImage(), buildSwarmImages()]);
    cluster = await createSwarmCluster({
      workers: 2,
      images: [`${APP}:swarm-v1`, `${APP}:swarm-v2`, `${APP}:swarm-v3`, LOCAL_HAPROXY_IMAGE],
    });
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
      health: { interval: '100ms', timeout: '40s' },
      haproxy: {
        bind: `0.0.0.0:${stack.port}`,
        configFile: 'run/haproxy.cfg',
        templateDir: TEMPLATES,
        masterSocket: 'run/master.sock',
        adminSocket: 'run/admin.sock',
        pidFile: 'run/haproxy.pid',
        check: { inter: '200ms' },
      },
    });
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
    // HAProxy on the manager, on the overlay; published on the manager's address (its namespace).
    await cluster.manager.docker([
      'run',
      '-d',
      '--name',
      haproxyContainer,
      '--network',
      network,
      '-p',
      `${stack.port}:${stack.port}`,
      '-v',
      `${run}:${run}`,
      LOCAL_HAPROXY_IMAGE,
      '-W',
      '-db',
      '-S',
      `${run}/master.sock,mode,600`,
      '-f',
      stack.haproxyCfg,
    ]);
    const result = await up;
    expect(result.exitCode, result.all).toBe(0);
    await until(
      'v1 through HAProxy on the manager',
      async () => ((await get(stack.port, host)).version === 'v1' ? true : null),
      60_000,
    );
  }, 300_000);

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await cluster?.destroy();
  }, 120_000);

  it('spreads the tasks over both workers; deploys and rolls back under load with zero failed requests', {
    timeout: 240_000,
  }, async () => {
    const workerIds = cluster.workers.map((w) => cluster.nodeIds[w.name]);
    expect(new Set(await taskNodes('blue'))).toEqual(new Set(workerIds));
    const load = startLoad({ host, port: stack.port, connections: 8, maxDurationMs: 200_000 });
    const { run, switches } = switchRunner(cli, () => stack.readState());
    await sleep(500);
    await run(['deploy', '--image', `${APP}:swarm-v2`], 'v2');
    expect(new Set(await taskNodes('green'))).toEqual(new Set(workerIds));
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
        const nodes = await taskNodes('blue');
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
