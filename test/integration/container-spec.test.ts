import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failures, startLoad } from '../support/load.js';
import { createStack, type Stack } from '../support/stack.js';

// A real app's container, in Compose's words, against the real engine: a named volume and a
// read-only bind mount, a second network to a `db` container, an env file and a secret, a
// non-root user, a read-only root with a tmpfs, every capability dropped and a healthcheck of
// its own. Deploy and rollback under load lose nothing, the colour sees what it was given, and
// `docker inspect` shows exactly the configured fields.

const SECRET = 'hunter2-secret';

describe('the container spec (Compose keys) on the container engine', () => {
  let stack: Stack;
  let volume: string;
  let dbNetwork: string;
  let db: string;
  let service: Record<string, unknown>;

  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${stack.port}${p}`);
    return { status: res.status, body: (await res.text()).trim() };
  };

  beforeAll(async () => {
    stack = await createStack('spec');
    volume = `${stack.name}-data`;
    dbNetwork = `${stack.name}-back`;
    db = `${stack.name}-db`;
    await execa('docker', ['volume', 'create', volume]);
    // The volume's data, written before any colour exists (as an upload would be).
    await execa('docker', [
      'run',
      '--rm',
      '-v',
      `${volume}:/data`,
      'linkswitch-test-app:v1',
      'task',
      'touch',
      '/data/seed',
    ]);
    await execa('docker', ['network', 'create', dbNetwork]);
    await execa('docker', [
      'run',
      '-d',
      '--name',
      db,
      '--label',
      `linkswitch.service=${stack.name}`,
      '--network',
      dbNetwork,
      '--network-alias',
      'db',
      '-e',
      'APP_VERSION=db',
      'linkswitch-test-app:v1',
    ]);
    await mkdir(path.join(stack.dir, 'config'));
    await writeFile(path.join(stack.dir, 'config', 'app.txt'), 'from the bind mount\n');
    await writeFile(
      path.join(stack.dir, 'app.env'),
      '# the app env\nFROM_FILE="yes it is" # comment\nexport OTHER=1\n',
    );
    await writeFile(path.join(stack.dir, 'db_password.txt'), `${SECRET}\n`);
    service = {
      environment: ['PLAIN=hello'],
      env_file: './app.env',
      user: '1000:1000',
      read_only: true,
      tmpfs: ['/tmp'],
      cap_drop: ['ALL'],
      volumes: [`${volume}:/data`, { type: 'bind', source: './config', target: '/config', read_only: true }],
      networks: { [dbNetwork]: { aliases: ['web-internal'] } },
      secrets: ['db_password'],
      healthcheck: { test: ['CMD', '/healthcheck'], interval: '500ms', timeout: '5s', retries: 3 },
      stop_grace_period: '2s',
      mem_limit: '256m',
      labels: ['team=shop'],
    };
    await stack.writeConfig({
      service: { name: stack.name, image: 'linkswitch-test-app:v1', port: 8080, ...service },
      secrets: { db_password: { file: './db_password.txt' } },
    });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
    await execa('docker', ['rm', '-f', db], { reject: false });
    await execa('docker', ['network', 'rm', dbNetwork], { reject: false });
    await execa('docker', ['volume', 'rm', volume], { reject: false });
  });

  it('deploys and rolls back under load with zero failed requests; the new colour sees the volume, secret, env file and db', async () => {
    const load = startLoad({ port: stack.port, connections: 6, maxDurationMs: 90_000 });
    const deploy = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2', '--json']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    expect((await get('/')).body).toBe('v2');
    expect(await get('/x/cat?p=/data/seed')).toEqual({ status: 200, body: 'v1' });
    expect(await get('/x/cat?p=/run/secrets/db_password')).toEqual({ status: 200, body: SECRET });
    expect(await get('/x/cat?p=/config/app.txt')).toEqual({ status: 200, body: 'from the bind mount' });
    expect(await get('/x/env?k=FROM_FILE')).toEqual({ status: 200, body: 'yes it is' });
    expect(await get('/x/env?k=PLAIN')).toEqual({ status: 200, body: 'hello' });
    expect(await get('/x/whoami')).toEqual({ status: 200, body: '1000:1000' });
    // The second network reaches the accessory by its alias.
    expect(await get('/x/get?u=http://db:8080/')).toEqual({ status: 200, body: 'db' });
    // Read-only root and bind mount; the tmpfs is writable.
    expect((await get('/x/write?p=/app/x')).body).toBe('EROFS');
    expect((await get('/x/write?p=/config/x')).body).toBe('EROFS');
    expect(await get('/x/write?p=/tmp/x')).toEqual({ status: 200, body: 'written' });
    const rollback = await stack.cli(['rollback', '--json']);
    expect(rollback.exitCode, rollback.all).toBe(0);
    expect((await get('/')).body).toBe('v1');
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(200);
    expect(failures(samples)).toEqual([]);
  });

  it('creates exactly the configured fields, and nothing else', async () => {
    for (const colour of ['blue', 'green']) {
      const [info] = JSON.parse((await execa('docker', ['inspect', `${stack.name}-${colour}`])).stdout);
      const host = info.HostConfig;
      expect(host.Privileged).toBe(false);
      expect(host.CapDrop).toEqual(['ALL']);
      expect(host.CapAdd ?? []).toEqual([]);
      expect(host.ReadonlyRootfs).toBe(true);
      expect(host.Memory).toBe(256 * 1024 * 1024);
      expect(host.Binds ?? []).toEqual([]);
      expect(host.PidMode).toBe('');
      expect(host.NetworkMode).not.toBe('host');
      expect(host.RestartPolicy).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
      expect(Object.keys(host.PortBindings)).toEqual(['8080/tcp']);
      expect(host.Mounts).toEqual([
        { Type: 'volume', Source: volume, Target: '/data' },
        { Type: 'bind', Source: path.join(stack.dir, 'config'), Target: '/config', ReadOnly: true },
        { Type: 'tmpfs', Target: '/tmp' },
        {
          Type: 'bind',
          Source: path.join(stack.dir, 'db_password.txt'),
          Target: '/run/secrets/db_password',
          ReadOnly: true,
        },
      ]);
      expect(info.Config.User).toBe('1000:1000');
      expect(info.Config.StopTimeout).toBe(2);
      expect(info.Config.Healthcheck).toEqual({
        Test: ['CMD', '/healthcheck'],
        Interval: 500_000_000,
        Timeout: 5_000_000_000,
        Retries: 3,
      });
      expect(info.Config.Labels).toMatchObject({ team: 'shop', 'linkswitch.service': stack.name });
      const env = info.Config.Env as string[];
      expect(env).toEqual(expect.arrayContaining(['PLAIN=hello', 'FROM_FILE=yes it is', 'OTHER=1']));
      expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual(['bridge', dbNetwork].sort());
      expect(info.NetworkSettings.Networks[dbNetwork].Aliases).toEqual(expect.arrayContaining(['web-internal']));
    }
  });

  it.each([
    [
      'ports',
      { ports: ['8080:8080'] },
      /service\.ports: ports is refused: linkswitch owns how HAProxy reaches the colours/,
    ],
    ['container_name', { container_name: 'web' }, /container_name is refused/],
    ['network_mode: host', { network_mode: 'host' }, /network_mode is refused/],
    ['deploy.replicas', { deploy: { replicas: 3 } }, /deploy is refused: replicas come from engine\.replicas/],
    ['a relative container path', { volumes: ['data:relative'] }, /volumes\[0\].*must be absolute/],
    ['a bad capability', { cap_add: ['sys admin'] }, /cap_add\.0: use a capability name/],
    ['an unknown secret', { secrets: ['nope'] }, /secret "nope" is not defined/],
    ['env and environment at once', { env: { A: '1' } }, /both env and environment are set/],
  ])('refuses %s with exit 2 and changes nothing', async (_what, extra, message) => {
    const before = {
      cfg: await readFile(stack.haproxyCfg, 'utf8'),
      state: await readFile(stack.stateFile, 'utf8'),
      ids: (await execa('docker', ['ps', '-q', '--filter', `label=linkswitch.service=${stack.name}`])).stdout,
    };
    const bad = path.join(stack.dir, 'bad.yml');
    const good = (await import('yaml')).parse(await readFile(stack.configFile, 'utf8'));
    good.service = { ...good.service, ...extra };
    await writeFile(bad, (await import('yaml')).stringify(good));
    const result = await stack.cli(['--config', bad, 'deploy', '--image', 'linkswitch-test-app:v2']);
    expect(result.exitCode, result.all).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(before.cfg);
    expect(await readFile(stack.stateFile, 'utf8')).toBe(before.state);
    expect((await execa('docker', ['ps', '-q', '--filter', `label=linkswitch.service=${stack.name}`])).stdout).toBe(
      before.ids,
    );
  });
});
