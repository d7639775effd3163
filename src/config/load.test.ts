import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { configPath, loadConfig, parseConfig } from './load.js';

const FILE = '/srv/app/linkswitch.yml';

const MINIMAL = `
service:
  name: web
  image: myapp:1.2
  port: 8080
`;

const FULL = `
service:
  name: web
  image: registry:5000/team/myapp:1.2
  port: 3000
  env: { NODE_ENV: production, WORKERS: 4, DEBUG: false, API_TOKEN: s3cret }
  secretEnv: [API_TOKEN]
  labels: { com.example.team: payments }
  command: [node, server.js]
  pull: never
  stopTimeout: 30
  memory: 256m
health:
  path: /healthz?full=1
  interval: 500ms
  timeout: 2m
  probeTimeout: 1.5s
  use: http
network: { mode: network, name: appnet }
haproxy:
  bind: 0.0.0.0:80
  configFile: run/haproxy.cfg
  templateDir: ./tpl
  masterSocket: run/master.sock
  adminSocket: /var/run/linkswitch/admin.sock
  pidFile: run/haproxy.pid
  binary: ./bin/haproxy
  check: { inter: 1s, rise: 2, fall: 3 }
  retries: 5
  reloadTimeout: 20s
  hardStopAfter: 1h
state:
  file: ../state/web.json
deploy: { drainTimeout: 15s, lockTtl: 30m }
`;

/** The ConfigError thrown by parseConfig, or a test failure. */
function configError(text: string, file = FILE): ConfigError {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.unreachable('expected a ConfigError');
}

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
    });
    expect(config.health).toEqual({
      path: '/healthz?full=1',
      interval: 500,
      timeout: 120_000,
      probeTimeout: 1500,
      use: 'http',
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
    expect(config.haproxy.templateDir).toBe(`${dir}/templates`);
    expect(config.haproxy.masterSocket).toBe(`${dir}/haproxy/run/master.sock`);
    expect(config.haproxy.adminSocket).toBe(`${dir}/haproxy/run/admin.sock`);
    expect(config.haproxy.pidFile).toBe(`${dir}/haproxy/run/haproxy.pid`);
    expect(config.state.file).toBe(`${dir}/haproxy/run/state.json`);
  });

  it('accepts numbers of milliseconds as durations', () => {
    expect(parseConfig(`${MINIMAL}health:\n  interval: 750\n`, FILE).health.interval).toBe(750);
  });
});

describe('parseConfig: invalid files', () => {
  it.each([
    ['unclosed flow sequence', 'service: [\n'],
    ['bad indentation', 'service:\n  name: web\n    image: x\n'],
    ['duplicate keys', 'service:\n  name: a\n  name: b\n'],
    ['tab indentation', 'service:\n\tname: web\n'],
  ])('refuses malformed YAML (%s) with a ConfigError naming the file', (_label, text) => {
    const error = configError(text);
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(/malformed YAML/);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
  });

  it('lists every problem with its key path in one error', () => {
    const error = configError(`
service:
  name: web
  image: myapp:1
  port: "8080"
  bogus: 1
  env: { 1BAD: x }
health:
  interval: fast
  extra: 2
haproxy:
  retries: -1
  check: { rise: "two" }
network: { mode: overlay }
top: 1
`);
    const problems = [
      /service\.port: Expected number, received string/,
      /service: Unrecognized key\(s\) in object: 'bogus'/,
      /service\.env\.1BAD: invalid environment variable name/,
      /health\.interval: invalid duration "fast"/,
      /health: Unrecognized key\(s\) in object: 'extra'/,
      /haproxy\.retries: Number must be greater than or equal to 0/,
      /haproxy\.check\.rise: Expected number, received string/,
      /network\.mode: /,
      /\(top level\): Unrecognized key\(s\) in object: 'top'/,
    ];
    for (const problem of problems) expect(error.message).toMatch(problem);
    expect(error.message).toContain(`${problems.length} invalid settings`);
  });

  it('reports missing required keys of an empty file', () => {
    const error = configError('');
    expect(error.message).toMatch(/\(top level\)|service/);
    expect(configError('service: {}\n').message).toMatch(/service\.name.*service\.image.*service\.port/s);
  });

  it.each(['10 minutes', '-5s', '1d', 'soon', '5 s s'])('refuses the duration %j with its key path', (value) => {
    expect(configError(`${MINIMAL}health:\n  timeout: ${JSON.stringify(value)}\n`).message).toMatch(
      /health\.timeout: invalid duration/,
    );
  });

  it('refuses secretEnv naming a variable that is not in env', () => {
    const error = configError(`${MINIMAL}  env: { A: 1 }\n  secretEnv: [A, API_TOKEN]\n`);
    expect(error.message).toMatch(/service\.secretEnv names API_TOKEN/);
    expect(error.message).not.toMatch(/names A,/);
  });

  it.each(['toString', 'constructor', 'hasOwnProperty'])(
    'refuses secretEnv %j, which only the object prototype defines',
    (name) => {
      expect(configError(`${MINIMAL}  env: { A: 1 }\n  secretEnv: [${name}]\n`).message).toMatch(
        new RegExp(`secretEnv names ${name}`),
      );
    },
  );

  it.each(['linkswitch.colour', 'linkswitch.managed', '-bad', 'sp ace'])('refuses the label %j', (label) => {
    expect(configError(`${MINIMAL}  labels: { ${JSON.stringify(label)}: x }\n`).message).toContain(
      `service.labels.${label}: invalid label name`,
    );
  });

  it.each([
    [
      'service.name',
      'service:\n  name: "web\\nbackend evil"\n  image: myapp:1\n  port: 8080\n',
      /service\.name: invalid service name/,
    ],
    [
      'service.name',
      'service:\n  name: "web # x"\n  image: myapp:1\n  port: 8080\n',
      /service\.name: invalid service name/,
    ],
    [
      'service.image',
      'service:\n  name: web\n  image: "myapp:1 ; rm -rf /"\n  port: 8080\n',
      /service\.image: invalid image reference/,
    ],
    [
      'service.image',
      'service:\n  name: web\n  image: "myapp:1\\nRUN x"\n  port: 8080\n',
      /service\.image: invalid image reference/,
    ],
    ['health.path', `${MINIMAL}health:\n  path: "/h#x"\n`, /health\.path: invalid health path/],
    ['health.path', `${MINIMAL}health:\n  path: "/h\\n    http-request deny"\n`, /health\.path: invalid health path/],
    ['health.path', `${MINIMAL}health:\n  path: "/h x"\n`, /health\.path: invalid health path/],
    ['haproxy.bind', `${MINIMAL}haproxy:\n  bind: "0.0.0.0:80\\nlisten x"\n`, /haproxy\.bind: /],
    ['haproxy.bind', `${MINIMAL}haproxy:\n  bind: "999.0.0.1:80"\n`, /haproxy\.bind: invalid IP address/],
    [
      'haproxy.adminSocket',
      `${MINIMAL}haproxy:\n  adminSocket: "run/admin sock"\n`,
      /haproxy\.adminSocket: invalid haproxy\.adminSocket/,
    ],
    ['haproxy.configFile', `${MINIMAL}haproxy:\n  configFile: "run/#cfg"\n`, /haproxy\.configFile/],
    ['network.name', `${MINIMAL}network:\n  mode: network\n  name: "net;x"\n`, /network\.name: invalid network name/],
  ])('refuses an injection attempt in %s', (_key, text, pattern) => {
    expect(configError(text).message).toMatch(pattern);
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
