import { chown, cp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Checker, startChecker } from '../support/checker.js';
import { failures, type LoadRun, startLoad } from '../support/load.js';
import { CLI, createStack, freePort, type Stack, TEMPLATES } from '../support/stack.js';

// Environment faults against the real engine and HAProxy, under keep-alive load: the Docker
// engine unreachable, HAProxy's sockets missing or forbidden, a reload HAProxy refuses, a full
// disk. Each must be a clear error, a non-zero exit code, and no change to state, config or
// traffic.

const firstLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('linkswitch: ')) ?? '';

describe('environment faults', () => {
  let stack: Stack;
  let load: LoadRun;
  let checker: Checker;
  const snapshot = async () => ({
    state: await readFile(stack.stateFile, 'utf8'),
    cfg: await readFile(stack.haproxyCfg, 'utf8'),
  });

  beforeAll(async () => {
    stack = await createStack('env');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 200_000 });
    checker = startChecker({ port: stack.port, stateFile: stack.stateFile, maxDurationMs: 200_000 });
  });

  afterAll(async () => {
    await checker?.stop();
    await load?.stop();
    await stack?.destroy();
  });

  it('reports an unreachable Docker engine and changes nothing', async () => {
    // Stopping the shared dockerd would stop every container of the suite; pointing the client
    // at a socket where no engine listens is exactly what the controller sees when dockerd is down.
    const before = await snapshot();
    for (const verb of ['deploy', 'status', 'up']) {
      const result = await stack.cli([verb], { env: { DOCKER_HOST: `unix://${stack.dir}/no-dockerd.sock` } });
      expect(result.exitCode, verb).toBe(6);
      expect(firstLine(result.stderr)).toMatch(
        /cannot reach the Docker engine \(ENOENT\) .*; start dockerd .*traffic was not changed/,
      );
    }
    expect(await snapshot()).toEqual(before);
  });

  it('reports a missing master socket instead of deploying blind', async () => {
    const before = await snapshot();
    const config = await readFile(stack.configFile, 'utf8');
    try {
      await writeFile(stack.configFile, config.replace('run/master.sock', 'run/elsewhere/master.sock'));
      const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
      expect(result.exitCode).toBe(8);
      expect(firstLine(result.stderr)).toMatch(/HAProxy is not running; run `linkswitch up` first/);
      expect(await snapshot()).toEqual(before);
    } finally {
      await writeFile(stack.configFile, config);
    }
  });

  it('reports sockets it may not use (mode 600, other owner) with the fix', async () => {
    const before = await snapshot();
    const sockets = ['admin.sock', 'master.sock'].map((s) => path.join(stack.dir, 'run', s));
    try {
      for (const socket of sockets) await chown(socket, 65534, 65534);
      // As root without CAP_DAC_OVERRIDE, file modes apply to us as to any other user.
      const result = await execa(
        'setpriv',
        [
          '--bounding-set',
          '-dac_override,-dac_read_search',
          '--',
          'node',
          CLI,
          'deploy',
          '--image',
          'linkswitch-test-app:v2',
        ],
        {
          reject: false,
          env: { LINKSWITCH_CONFIG: stack.configFile, LINKSWITCH_LOG_FORMAT: 'json' },
        },
      );
      expect(result.exitCode, result.stderr).toBe(8);
      expect(firstLine(result.stderr)).toMatch(
        /HAProxy master socket .*master\.sock did not answer \(EACCES\); run linkswitch as the user that owns/,
      );
    } finally {
      for (const socket of sockets) await chown(socket, 0, 0);
    }
    expect(await snapshot()).toEqual(before);
  });

  /** A copy of the shipped templates with `extra` appended to staged configs (those with an idle server). */
  const templatesWith = async (name: string, extra: string) => {
    const templates = path.join(stack.dir, name);
    await cp(TEMPLATES, templates, { recursive: true });
    const main = await readFile(path.join(templates, 'haproxy.cfg.hbs'), 'utf8');
    await writeFile(path.join(templates, 'haproxy.cfg.hbs'), `${main}{{#if servers.[1]}}\n${extra}\n{{/if}}\n`);
    return templates;
  };
  const withConfig = async <T>(edit: (config: string) => string, fn: () => Promise<T>): Promise<T> => {
    const config = await readFile(stack.configFile, 'utf8');
    await writeFile(stack.configFile, edit(config));
    try {
      return await fn();
    } finally {
      await writeFile(stack.configFile, config);
    }
  };
  const busyPort = async () => {
    const server = net.createServer().listen(await freePort(), '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return { server, port: (server.address() as net.AddressInfo).port };
  };

  it('refuses a config whose new bind address is taken before reloading (haproxy -c does not bind)', async () => {
    const blocker = await busyPort();
    const templates = await templatesWith(
      'templates-busy',
      `frontend fe_extra\n    bind 127.0.0.1:${blocker.port}\n    default_backend {{backend}}`,
    );
    const before = await snapshot();
    try {
      const result = await withConfig(
        (c) => c.replace(TEMPLATES, templates),
        () => stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']),
      );
      expect(result.exitCode, result.all).toBe(7);
      expect(firstLine(result.stderr)).toMatch(
        new RegExp(`HAProxy could not bind 127\\.0\\.0\\.1:${blocker.port} \\(EADDRINUSE\\); free that port`),
      );
      expect(await snapshot()).toEqual(before);
    } finally {
      blocker.server.close();
    }
  });

  it('reports a reload HAProxy refuses: old workers keep serving, no switch is recorded, haproxy.cfg is restored', async () => {
    // A unix-socket bind in a directory that does not exist passes `haproxy -c` and fails at reload.
    const templates = await templatesWith(
      'templates-badsock',
      `frontend fe_extra\n    bind ${stack.dir}/no-such-dir/extra.sock\n    default_backend {{backend}}`,
    );
    const before = await snapshot();
    const result = await withConfig(
      (c) => c.replace(TEMPLATES, templates),
      () => stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']),
    );
    expect(result.exitCode, result.all).toBe(8);
    expect(firstLine(result.stderr)).toMatch(
      /HAProxy reload failed: the new config did not load, the old workers keep serving/,
    );
    expect(result.stderr).toMatch(/restored and reloaded the previous haproxy.cfg/);
    expect(await snapshot()).toEqual(before);
    const status = JSON.parse((await stack.cli(['status', '--json'])).stdout);
    expect(status.linked).toBe('blue');
    expect(status.colours[0].haproxy.weight).toBe(100);
    const retry = await checker.during(() => stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']));
    expect(retry.exitCode, retry.all).toBe(0);
  });

  it('refuses to move HAProxy to a port that is already taken, and keeps the old one serving', async () => {
    const blocker = await busyPort();
    const before = await snapshot();
    try {
      const result = await withConfig(
        (c) => c.replace(`bind: 127.0.0.1:${stack.port}`, `bind: 127.0.0.1:${blocker.port}`),
        () => stack.cli(['up']),
      );
      expect(result.exitCode, result.all).toBe(7);
      expect(firstLine(result.stderr)).toMatch(/HAProxy could not bind .*EADDRINUSE/);
      expect(await snapshot()).toEqual(before);
    } finally {
      blocker.server.close();
    }
  });

  it('kept serving throughout: zero failed requests, and the state file always named the serving version', async () => {
    const { samples: checks, violations } = await checker.stop({ atLeast: 51 });
    expect(checks.length).toBeGreaterThan(50);
    expect(violations).toEqual([]);
    expect(load.samples.length).toBeGreaterThan(500);
    expect(failures(load.samples)).toEqual([]);
  });
});

describe('disk full while writing state', () => {
  let stack: Stack;
  let mountpoint: string;

  beforeAll(async () => {
    stack = await createStack('disk');
    mountpoint = path.join(stack.dir, 'small');
    await execa('mkdir', ['-p', mountpoint]);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=700', 'tmpfs', mountpoint]);
    const config = await readFile(stack.configFile, 'utf8');
    await writeFile(stack.configFile, config.replace('file: run/state.json', 'file: small/state.json'));
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    // `down` while the state is still on the tmpfs; the stack's directory goes once it is unmounted.
    await stack?.cli(['--lock-wait', '60s', 'down']);
    await execa('umount', [mountpoint], { reject: false });
    await stack?.destroy().catch(() => undefined);
  });

  const stateFile = () => path.join(mountpoint, 'state.json');

  /** Fills the tmpfs so that exactly `pagesLeft` pages stay free. */
  const fill = async (pagesLeft: number) => {
    const { bavail, bsize } = await statfs(mountpoint);
    await writeFile(
      path.join(mountpoint, 'filler'),
      Buffer.alloc(Math.max(0, Number(bavail) - pagesLeft) * Number(bsize)),
    );
  };

  const deployOnFullDisk = async (pagesLeft: number, message: RegExp) => {
    const before = await readFile(stateFile(), 'utf8');
    const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
    await fill(pagesLeft);
    const load = startLoad({ port: stack.port, connections: 2, maxDurationMs: 30_000 });
    const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    const samples = await load.stop();
    await rm(path.join(mountpoint, 'filler'));
    expect(result.exitCode, result.all).toBe(3);
    expect(firstLine(result.stderr)).toMatch(message);
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
    // No temp file or lock left behind on the full filesystem.
    expect(await readdir(mountpoint)).toEqual(['state.json']);
    expect(samples.length).toBeGreaterThan(50);
    expect(failures(samples)).toEqual([]);
  };

  it('a state write that hits ENOSPC refuses the deploy and keeps the old state file intact', async () => {
    // One free page: the lock file fits, the state file's temp copy does not.
    await deployOnFullDisk(1, /cannot write state file .*ENOSPC.*the previous state is intact; free disk space/);
  });

  it('a lock that cannot be written (disk completely full) refuses the deploy the same way', async () => {
    await deployOnFullDisk(0, /cannot create the lock file .* \(ENOSPC\); nothing was changed; free disk space/);
  });

  it('deploys again once space is free', async () => {
    const retry = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    expect(retry.exitCode, retry.all).toBe(0);
  });
});
