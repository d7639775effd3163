import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

// A second Docker engine of the test's own (its own data root, exec root, socket, pid file and
// bridge, no iptables rules), so that a test can stop and start "the engine" without touching the
// one the rest of the suite uses. Published ports go through docker-proxy on 127.0.0.1.

export interface PrivateDockerd {
  socket: string;
  /** DOCKER_HOST for the CLI, docker and docker-compose. */
  env: Record<string, string>;
  /** SIGTERM and wait until it has exited (its containers stop with it: no live-restore). */
  stop(): Promise<void>;
  /** Start it again and wait until it answers; resolves with the time it answered (performance.now()). */
  start(): Promise<number>;
  /** Copies images from the main engine (docker save | docker load). */
  loadImages(images: string[]): Promise<void>;
  /**
   * Lets containers on this engine's user networks reach each other: the host's FORWARD policy
   * (set by the main engine) drops bridged traffic it has no rule for, and this engine writes no
   * rules. One ACCEPT per bridge in DOCKER-USER, removed by destroy().
   */
  allowForwarding(): Promise<void>;
  docker(args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

let counter = 0;

export async function createPrivateDockerd(prefix: string): Promise<PrivateDockerd> {
  // Unix socket paths are short (108 bytes): keep the directory shallow.
  const dir = await mkdtemp(path.join(os.tmpdir(), `lsd-${prefix}-`));
  const bridge = `lsd${process.pid % 1000}${counter++}`;
  const subnet = `10.231.${(process.pid % 200) + 20}`;
  const socket = path.join(dir, 'docker.sock');
  const pidFile = path.join(dir, 'docker.pid');
  const env = { DOCKER_HOST: `unix://${socket}` };
  await execa('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await execa('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  await execa('ip', ['link', 'set', bridge, 'up']);
  await mkdir(path.join(dir, 'data'));
  const args = [
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '-H',
    `unix://${socket}`,
    '--pidfile',
    pidFile,
    '--bridge',
    bridge,
    '--iptables=false',
    '--ip-masq=false',
  ];
  // Networks it creates (compose's) get subnets apart from the main engine's 172.x pools. Only
  // on the first start: dockerd 20.10 restarted with an address pool and a --bridge deletes the
  // host's docker0 (the main engine's bridge); the networks keep their subnets without it.
  const firstStartOnly = ['--default-address-pool', `base=${subnet.replace(/\.\d+$/, '')}.128.0/17,size=24`];
  let started = 0;
  const docker = async (dockerArgs: string[]) => (await execa('docker', dockerArgs, { env })).stdout;
  const answers = async () =>
    (await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { env, reject: false })).exitCode === 0;
  const pid = async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || null;
  const start = async () => {
    const child = execa('dockerd', started++ === 0 ? [...args, ...firstStartOnly] : args, {
      detached: true,
      stdio: 'ignore',
      reject: false,
    });
    child.unref();
    for (let i = 0; i < 300; i++) {
      if (await answers()) return performance.now();
      await sleep(100);
    }
    throw new Error('the private dockerd did not answer within 30 s');
  };
  const stop = async () => {
    const running = await pid();
    if (!running) return;
    try {
      process.kill(running, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(running, 0);
      } catch {
        return;
      }
      await sleep(100);
    }
    process.kill(running, 'SIGKILL');
  };
  const rules: string[][] = [];
  await start();
  return {
    socket,
    env,
    stop,
    start,
    docker,
    async loadImages(images) {
      const save = execa('docker', ['save', ...images], { buffer: false, encoding: 'buffer' });
      const load = execa('docker', ['load'], { env, input: save.stdout ?? undefined });
      await Promise.all([save, load]);
    },
    async allowForwarding() {
      const ids = (await docker(['network', 'ls', '-q', '--filter', 'driver=bridge'])).split('\n').filter(Boolean);
      for (const id of ids) {
        const [info] = JSON.parse(await docker(['network', 'inspect', id]));
        if (info.Name === 'bridge') continue; // the default bridge is `bridge` above
        const name = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
        const rule = ['DOCKER-USER', '-i', name, '-o', name, '-j', 'ACCEPT'];
        await execa('iptables', ['-I', ...rule]);
        rules.push(rule);
      }
    },
    async destroy() {
      for (const rule of rules.splice(0)) await execa('iptables', ['-D', ...rule], { reject: false });
      const ids = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch(() => undefined);
      await stop();
      await execa('ip', ['link', 'del', bridge], { reject: false });
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
