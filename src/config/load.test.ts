import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE, FULL, MINIMAL } from '../../test/support/config-fixtures.js';
import { DEFAULT_CANARY } from '../core/canary.js';
import { emptyContainerSpec } from '../core/container-spec.js';
import { ConfigError } from '../core/errors.js';
import { configPath, loadConfig, parseConfig } from './load.js';

describe('parseConfig: valid files', () => {
  it('accepts the full example and converts every value', () => {
    const config = parseConfig(FULL, FILE);
    expect(config.file).toBe(FILE);
    expect(config.service).toEqual({
      name: 'web',
      image: 'registry:5000/team/myapp:1.2',
      port: 3000,
      env: { NODE_ENV: 'production', WORKERS: '4', DEBUG: 'false', API_TOKEN: 's3cret' },
      secretEnv: ['API_TOKEN'],
      labels: { 'com.example.team': 'payments' },
      command: ['node', 'server.js'],
      pull: 'never',
      stopTimeout: 30,
      memory: '256m',
      // The one-service config: HTTP, no routes, every request to it.
      mode: 'http',
      bind: null,
      routes: [],
      default: true,
      timeouts: { connect: 2000, server: 30_000, tunnel: 3_600_000 },
      auth: null,
      extraLines: [],
      errorFiles: {},
      // Nothing in Compose's terms: Docker's defaults, restarted unless stopped, kept warm.
      container: emptyContainerSpec(),
      hooks: {},
      keepWarm: true,
      composeSource: null,
      canary: DEFAULT_CANARY,
      watch: 0,
      slowStart: 0,
      preview: null,
      maintenance: { allowIps: [], allowHeader: null, allowToken: null },
    });
    expect(config.multi).toBe(false);
    expect(config.services).toEqual([{ service: config.service, health: config.health, state: config.state }]);
    expect(config.health).toEqual({
      path: '/healthz?full=1',
      interval: 500,
      timeout: 120_000,
      probeTimeout: 1500,
      use: 'http',
      host: null,
      expectStatus: 200,
    });
    expect(config.network).toEqual({ mode: 'network', name: 'appnet' });
    expect(config.haproxy).toEqual({
      bind: '0.0.0.0:80',
      configFile: '/srv/app/run/haproxy.cfg',
      templateDir: '/srv/app/tpl',
      masterSocket: '/srv/app/run/master.sock',
      adminSocket: '/var/run/linkswitch/admin.sock',
      pidFile: '/srv/app/run/haproxy.pid',
      binary: '/srv/app/bin/haproxy',
      check: { inter: 1000, rise: 2, fall: 3 },
      retries: 5,
      reloadTimeout: 20_000,
      hardStopAfter: 3_600_000,
    });
    expect(config.state).toEqual({ file: '/srv/state/web.json' });
    expect(config.deploy).toEqual({ drainTimeout: 15_000, lockTtl: 1_800_000 });
  });

  it('applies every default to a minimal file', () => {
    const config = parseConfig(MINIMAL, FILE);
    expect(config.service).toMatchObject({ env: {}, secretEnv: [], labels: {}, pull: 'missing', stopTimeout: 10 });
    expect(config.service.command).toBeUndefined();
    expect(config.health).toEqual({
      path: '/health',
      interval: 250,
      timeout: 60_000,
      probeTimeout: 2_000,
      use: 'auto',
      host: null,
      expectStatus: 200,
    });
    expect(config.network).toEqual({ mode: 'published', hostIp: '127.0.0.1' });
    expect(config.haproxy).toMatchObject({
      bind: '127.0.0.1:8080',
      binary: 'haproxy',
      check: { inter: 500, rise: 1, fall: 2 },
      retries: 3,
      reloadTimeout: 10_000,
      hardStopAfter: 30_000,
    });
    expect(config.deploy).toEqual({ drainTimeout: 10_000, lockTtl: 900_000 });
  });

  it("resolves default relative paths against the config file's directory", () => {
    const config = parseConfig(MINIMAL, '/etc/linkswitch/web/linkswitch.yml');
    const dir = '/etc/linkswitch/web';
    expect(config.haproxy.configFile).toBe(`${dir}/haproxy/run/haproxy.cfg`);
    expect(config.haproxy.masterSocket).toBe(`${dir}/haproxy/run/master.sock`);
    expect(config.haproxy.adminSocket).toBe(`${dir}/haproxy/run/admin.sock`);
    expect(config.haproxy.pidFile).toBe(`${dir}/haproxy/run/haproxy.pid`);
    expect(config.state.file).toBe(`${dir}/haproxy/run/state.json`);
  });

  it('without templateDir: templates/ beside the config when it has haproxy.cfg.hbs, else the shipped ones', async () => {
    const shipped = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-tpl-'));
    try {
      const file = path.join(dir, 'linkswitch.yml');
      expect(parseConfig(MINIMAL, file).haproxy.templateDir).toBe(shipped);
      await mkdir(path.join(dir, 'templates'));
      // A directory without the main template is not taken (it is not a template set).
      expect(parseConfig(MINIMAL, file).haproxy.templateDir).toBe(shipped);
      await writeFile(path.join(dir, 'templates', 'haproxy.cfg.hbs'), 'global\n');
      expect(parseConfig(MINIMAL, file).haproxy.templateDir).toBe(path.join(dir, 'templates'));
      expect(parseConfig(`${MINIMAL}haproxy:\n  templateDir: ./mine\n`, file).haproxy.templateDir).toBe(
        path.join(dir, 'mine'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts numbers of milliseconds as durations', () => {
    expect(parseConfig(`${MINIMAL}health:\n  interval: 750\n`, FILE).health.interval).toBe(750);
  });
});

describe('the shipped linkswitch.example.yml', () => {
  const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'linkswitch.example.yml');

  it('is valid, and every value it documents as a default is the default the code applies', async () => {
    const config = await loadConfig(example);
    const defaults = parseConfig(MINIMAL.replace('myapp:1.2', 'myapp:1.0'), example);
    expect(config.service).toEqual({
      ...defaults.service,
      env: { LOG_LEVEL: 'info', DATABASE_PASSWORD: 'change-me' },
      secretEnv: ['DATABASE_PASSWORD'],
    });
    for (const key of ['health', 'network', 'haproxy', 'state', 'deploy'] as const)
      expect(config[key], key).toEqual(defaults[key]);
    expect(config.haproxy.adminSocket).toBe(path.join(path.dirname(example), 'haproxy/run/admin.sock'));
  });
});

describe('loadConfig / configPath', () => {
  let dir: string | undefined;
  afterEach(async () => void (dir && (await rm(dir, { recursive: true, force: true }))));

  it('reads a file and resolves its paths against its real directory', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-cfg-'));
    const file = path.join(dir, 'linkswitch.yml');
    await writeFile(file, MINIMAL);
    const config = await loadConfig(file);
    expect(config.state.file).toBe(path.join(dir, 'haproxy/run/state.json'));
  });

  it('turns a missing file into a ConfigError that says how to fix it', async () => {
    await expect(loadConfig('/nonexistent/linkswitch.yml')).rejects.toSatisfy(
      (e) => e instanceof ConfigError && /ENOENT/.test(e.message) && /--config/.test(e.fix ?? ''),
    );
  });

  it('prefers the flag, then LINKSWITCH_CONFIG, then ./linkswitch.yml', () => {
    expect(configPath('/a.yml', { LINKSWITCH_CONFIG: '/b.yml' })).toBe('/a.yml');
    expect(configPath(undefined, { LINKSWITCH_CONFIG: '/b.yml' })).toBe('/b.yml');
    expect(configPath(undefined, {})).toBe(path.resolve('linkswitch.yml'));
  });
});
