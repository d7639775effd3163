import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, type Stack } from '../support/stack.js';

// Security against the real engine: what the controller creates is built from the config's
// allow-listed fields only, files and sockets are private, hostile values reach neither
// haproxy.cfg nor the runtime socket, and secrets never reach output or logs.

const SECRET = 'pa55-w0rd;#"\'\nserver evil 127.0.0.2:80';
const HOSTILE_LABEL = 'x\nbackend evil\n# ;"\'\u202e\u00e9'.repeat(20);

describe('security', () => {
  let stack: Stack;
  let outputs = '';

  beforeAll(async () => {
    stack = await createStack('sec', {
      environment: { DB_PASSWORD: SECRET, PLAIN: 'hello # ; "quoted"' },
      secretEnv: ['DB_PASSWORD'],
      labels: { 'team.note': HOSTILE_LABEL },
    });
    for (const args of [
      ['up'],
      ['deploy', '--image', 'linkswitch-test-app:v2'],
      ['status', '--json'],
      ['render', '--check'],
      ['rollback'],
    ]) {
      const result = await stack.cli(args, { env: { LINKSWITCH_LOG_LEVEL: 'trace' } });
      expect(result.exitCode, `${args.join(' ')}: ${result.all}`).toBe(0);
      outputs += result.all;
    }
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('creates containers from the allow-listed fields only: no privileges, no host mounts, loopback-only ports', async () => {
    for (const colour of ['blue', 'green']) {
      const [info] = JSON.parse((await execa('docker', ['inspect', `${stack.name}-${colour}`])).stdout);
      expect(info.HostConfig.Privileged).toBe(false);
      expect(info.HostConfig.Binds ?? []).toEqual([]);
      expect(info.Mounts).toEqual([]);
      expect(info.HostConfig.CapAdd ?? []).toEqual([]);
      expect(info.HostConfig.PidMode).toBe('');
      expect(info.HostConfig.NetworkMode).not.toBe('host');
      // A host port chosen at creation and written into the binding (kept across engine restarts).
      const bindings = info.HostConfig.PortBindings as Record<string, Array<{ HostIp: string; HostPort: string }>>;
      expect(Object.keys(bindings)).toEqual(['8080/tcp']);
      expect(bindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: expect.stringMatching(/^\d{4,5}$/) }]);
      expect(info.Config.Labels).toMatchObject({
        'linkswitch.service': stack.name,
        'linkswitch.colour': colour,
        'linkswitch.generation': expect.stringMatching(/^\d+$/),
        'team.note': HOSTILE_LABEL,
      });
      expect(info.Config.Env).toEqual(expect.arrayContaining([`DB_PASSWORD=${SECRET}`, 'PLAIN=hello # ; "quoted"']));
    }
  });

  it('keeps the state directory 700 and the state, config and sockets 600', async () => {
    const run = path.join(stack.dir, 'run');
    expect((await stat(run)).mode & 0o777).toBe(0o700);
    for (const file of ['state.json', 'haproxy.cfg', 'admin.sock', 'master.sock']) {
      expect((await stat(path.join(run, file))).mode & 0o777, file).toBe(0o600);
    }
  });

  it('never writes env values or labels into haproxy.cfg', async () => {
    const cfg = await readFile(stack.haproxyCfg, 'utf8');
    expect(cfg).not.toMatch(/evil|pa55|hello|team\.note/);
    // Every server line is exactly name, address:port, weight — nothing smuggled in.
    for (const line of cfg.split('\n').filter((l) => l.trim().startsWith('server '))) {
      expect(line).toMatch(/^ {4}server (blue|green) 127\.0\.0\.1:\d+ weight (0|100)$/);
    }
  });

  it('never prints or logs a secret, even at trace level', async () => {
    expect(outputs.length).toBeGreaterThan(1000);
    expect(outputs).not.toContain('pa55-w0rd');
    expect(outputs).not.toContain('DB_PASSWORD=');
  });

  it('refuses a hostile service name before anything reaches Docker, the config or the socket', async () => {
    const config = await readFile(stack.configFile, 'utf8');
    const bad = path.join(stack.dir, 'hostile.yml');
    const { writeFile } = await import('node:fs/promises');
    for (const name of ['web\nbackend evil', 'web;shutdown', 'web#x', "web'x", 'wéb', 'w'.repeat(64)]) {
      await writeFile(bad, config.replace(`name: ${stack.name}`, `name: ${JSON.stringify(name)}`));
      const result = await stack.cli(['--config', bad, 'deploy']);
      expect(result.exitCode, name).toBe(2);
      expect(result.stderr).toMatch(/service\.name: invalid service name/);
    }
  });

  it('refuses to serve with a control API token shorter than 32 random bytes, starting nothing', async () => {
    const result = await stack.cli(['serve', '--listen', '127.0.0.1:1'], {
      env: { LINKSWITCH_TOKEN: 'ab'.repeat(24) },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/token from LINKSWITCH_TOKEN holds at most 24 random bytes.*openssl rand -hex 32/);
    expect(result.stderr).not.toContain('ab'.repeat(24));
  });
});
