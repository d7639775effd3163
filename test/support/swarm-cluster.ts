import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

// A multi-node Swarm on one machine, out of real Docker engines: one dockerd per network
// namespace (its own data root, exec root, socket, bridge and iptables), the namespaces joined by
// a bridge the test creates (10.240.<n>.0/24), `docker swarm init`/`join` between them, and the
// images loaded into each node. Traffic goes only to these namespaces' addresses. destroy()
// removes everything, also after a failure.

export interface SwarmNode {
  name: string;
  /** The node's address on the test bridge (what Swarm advertises). */
  ip: string;
  env: Record<string, string>;
  socket: string;
  docker(args: string[]): Promise<string>;
  /** SIGKILL the node's engine (its containers keep running under their shims). */
  killEngine(): Promise<void>;
  startEngine(): Promise<void>;
}

export interface SwarmCluster {
  manager: SwarmNode;
  workers: SwarmNode[];
  nodes: SwarmNode[];
  /** The Swarm node ID of each node, by name. */
  nodeIds: Record<string, string>;
  /** Waits until the manager sees every node Ready (after an engine restart). */
  waitReady(): Promise<void>;
  destroy(): Promise<void>;
}

let clusters = 0;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

export async function createSwarmCluster(options: { workers: number; images: string[] }): Promise<SwarmCluster> {
  const id = `${process.pid % 100}${clusters++}`;
  const octet = 240 + (Number(id) % 10);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lsw-'));
  const bridge = `lswbr${id}`;
  const undo: Array<() => Promise<unknown>> = [];
  const run = (cmd: string, args: string[]) => execa(cmd, args);
  const destroy = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => run('ip', ['link', 'del', bridge]));
    await run('ip', ['addr', 'add', `10.240.${octet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    // The main engine sets the host's FORWARD policy to DROP: let the namespaces talk to each other.
    const rule = ['DOCKER-USER', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
    await run('iptables', ['-I', ...rule]);
    undo.push(() => run('iptables', ['-D', ...rule]));
    const nodes: SwarmNode[] = [];
    for (let i = 1; i <= options.workers + 1; i++) {
      const name = `n${i}`;
      const netns = `lsw${id}${name}`;
      const veth = `lsw${id}v${i}`;
      const ip = `10.240.${octet}.${10 + i}`;
      await run('ip', ['netns', 'add', netns]);
      undo.push(() => run('ip', ['netns', 'del', netns]));
      await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
      for (const args of [
        ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['link', 'set', 'lo', 'up'],
        ['route', 'add', 'default', 'via', `10.240.${octet}.1`],
      ]) {
        await run('ip', ['-n', netns, ...args]);
      }
      const home = path.join(dir, name);
      await mkdir(path.join(home, 'data'), { recursive: true });
      const socket = path.join(home, 'docker.sock');
      const pidFile = path.join(home, 'docker.pid');
      const env = { DOCKER_HOST: `unix://${socket}` };
      const docker = async (args: string[]) => (await execa('docker', args, { env })).stdout;
      const startEngine = async () => {
        // nsenter (not `ip netns exec`, which remounts /sys and hides the cgroup mounts).
        const child = execa(
          'nsenter',
          [
            `--net=/var/run/netns/${netns}`,
            'dockerd',
            '--data-root',
            path.join(home, 'data'),
            '--exec-root',
            path.join(home, 'exec'),
            '-H',
            `unix://${socket}`,
            '--pidfile',
            pidFile,
          ],
          // No registry is reachable: tasks use the local image instead of asking for one.
          { detached: true, stdio: 'ignore', reject: false, env: { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' } },
        );
        child.unref();
        await waitFor(`the engine of ${name}`, async () => (await docker(['info'])).length > 0, 60_000);
      };
      const pid = async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || null;
      const stopEngine = async (signal: NodeJS.Signals) => {
        const running = await pid();
        if (!running) return;
        try {
          process.kill(running, signal);
        } catch {
          return;
        }
        await waitFor(
          `${name}'s engine to exit`,
          async () => {
            try {
              process.kill(running, 0);
              return false;
            } catch {
              return true;
            }
          },
          30_000,
        );
      };
      undo.push(async () => {
        const ids = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
        if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch(() => undefined);
        await stopEngine('SIGTERM');
      });
      await startEngine();
      nodes.push({ name, ip, env, socket, docker, startEngine, killEngine: () => stopEngine('SIGKILL') });
    }
    const [manager, ...workers] = nodes as [SwarmNode, ...SwarmNode[]];
    await Promise.all(
      nodes.map(async (node) => {
        const save = execa('docker', ['save', ...options.images], { buffer: false, encoding: 'buffer' });
        await Promise.all([save, execa('docker', ['load'], { env: node.env, input: save.stdout ?? undefined })]);
      }),
    );
    await manager.docker(['swarm', 'init', '--advertise-addr', manager.ip]);
    const token = (await manager.docker(['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const worker of workers) {
      await worker.docker(['swarm', 'join', '--advertise-addr', worker.ip, '--token', token, `${manager.ip}:2377`]);
    }
    const waitReady = () =>
      waitFor(
        'every node Ready',
        async () =>
          (await manager.docker(['node', 'ls', '--format', '{{.Status}}'])).split('\n').filter((s) => s === 'Ready')
            .length === nodes.length,
        60_000,
      );
    await waitReady();
    const nodeIds: Record<string, string> = {};
    for (const node of nodes)
      nodeIds[node.name] = (await node.docker(['info', '--format', '{{.Swarm.NodeID}}'])).trim();
    return { manager, workers, nodes, nodeIds, waitReady, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
