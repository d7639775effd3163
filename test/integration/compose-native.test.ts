import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { failures, startLoad } from '../support/load.js';
import { createStack, haproxySettings, type Stack } from '../support/stack.js';
import { trixieTool } from '../support/trixie-tools.js';

// A service taken from docker-compose.yml (`compose:`), the way docker-rollout users work: the
// accessories are compose's (`docker compose up -d db`), the web service is linkswitch's. What
// the compose tool's own `config` resolves (interpolation, .env, --env-file, an override file)
// is what the colour runs: checked against `docker compose config` for Compose v2 (Debian 13's
// 2.26) and against v1 (Debian 12's 1.29), and `depends_on` is checked before a deploy.

// As a user writes it (YAML text: `${…}` is compose's interpolation, not JavaScript's).
const COMPOSE = `
services:
  web:
    image: "linkswitch-test-app:\${WEB_TAG:-v0}"
    build: .
    environment:
      GREETING: "\${GREETING:-hello}"
      FROM_DOTENV: "\${FROM_DOTENV}"
    env_file: web.env
    volumes: [uploads:/data, ./conf:/conf:ro]
    networks: [default, back]
    depends_on: [db]
    healthcheck: { test: [CMD, /healthcheck], interval: 500ms, timeout: 5s, retries: 3 }
    stop_grace_period: 2s
    secrets: [api_key]
  db:
    image: linkswitch-test-app:v1
    environment: { APP_VERSION: db }
    networks: [back]
volumes: { uploads: {} }
networks: { back: {} }
secrets: { api_key: { file: ./api_key.txt } }
`;
// v1 reads YAML 1.1, where an unquoted yes/no/on is a boolean (and refused as an env value): quoted.
const OVERRIDE = { services: { web: { environment: { OVERRIDDEN: 'enabled' }, labels: { tier: 'web' } } } };

describe('a service taken from docker-compose.yml', () => {
  let stack: Stack;
  let v2: string;
  let project: string;
  let files: string[];

  const compose = (args: string[], bin = v2) =>
    execa(bin, [...files.flatMap((f) => ['-f', f]), '-p', project, ...args], { cwd: stack.dir });
  const linkswitchConfig = (command: string[], extra: Record<string, unknown> = {}) => ({
    service: {
      name: stack.name,
      compose: {
        file: ['docker-compose.yml', 'docker-compose.override.yml'],
        service: 'web',
        project,
        command,
        ...extra,
      },
      port: 8080,
    },
    health: { interval: '100ms', timeout: '20s' },
    haproxy: haproxySettings(`127.0.0.1:${stack.port}`),
    state: { file: 'run/state.json' },
  });
  const inspect = async (colour: string) =>
    JSON.parse((await execa('docker', ['inspect', `${stack.name}-${colour}`])).stdout)[0];

  beforeAll(async () => {
    v2 = await trixieTool('compose');
    stack = await createStack('compose');
    project = stack.name.replace(/[^a-z0-9]/g, '');
    files = ['docker-compose.yml', 'docker-compose.override.yml'].map((f) => path.join(stack.dir, f));
    await writeFile(files[0]!, COMPOSE);
    await writeFile(files[1]!, stringify(OVERRIDE));
    await writeFile(path.join(stack.dir, '.env'), 'WEB_TAG=v1\nFROM_DOTENV=dotenv-value\n');
    await writeFile(path.join(stack.dir, 'prod.env'), 'WEB_TAG=v2\nGREETING=from-prod-env\nFROM_DOTENV=prod\n');
    await writeFile(path.join(stack.dir, 'web.env'), 'FROM_ENV_FILE=yes\n');
    await writeFile(path.join(stack.dir, 'api_key.txt'), 'k-123\n');
    await mkdir(path.join(stack.dir, 'conf'));
    await writeFile(path.join(stack.dir, 'conf', 'c.txt'), 'conf\n');
    await compose(['up', '-d', 'db']);
    await writeFile(stack.configFile, stringify(linkswitchConfig([v2])));
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    // The colours first (they are attached to the project's networks, which compose cannot
    // remove while they are), then compose's own down while its files exist, then the rest.
    await stack?.cli(['--lock-wait', '60s', 'down']);
    if (files) await compose(['down', '-v']).catch(() => undefined);
    await stack?.destroy();
    // Nothing of the project may stay behind, whatever compose managed to remove.
    await execa('docker', ['network', 'rm', `${project}_back`, `${project}_default`], { reject: false });
    await execa('docker', ['volume', 'rm', `${project}_uploads`], { reject: false });
  });

  it('runs what `docker compose config` resolves: image, environment, env file, volumes, networks, labels, healthcheck', async () => {
    const resolved = JSON.parse((await compose(['config', '--format', 'json'])).stdout);
    const web = resolved.services.web;
    const { linked } = await stack.readState();
    const info = await inspect(linked);
    expect(info.Config.Image).toBe(web.image);
    expect(web.image).toBe('linkswitch-test-app:v1');
    const env = info.Config.Env as string[];
    for (const [key, value] of Object.entries(web.environment as Record<string, string>))
      expect(env).toContain(`${key}=${value}`);
    expect(Object.keys(web.environment).sort()).toEqual(['FROM_DOTENV', 'FROM_ENV_FILE', 'GREETING', 'OVERRIDDEN']);
    expect(info.Config.Labels).toMatchObject(web.labels);
    expect(info.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: resolved.volumes.uploads.name, Target: '/data' },
      { Type: 'bind', Source: path.join(stack.dir, 'conf'), Target: '/conf', ReadOnly: true },
      { Type: 'bind', Source: path.join(stack.dir, 'api_key.txt'), Target: '/run/secrets/api_key', ReadOnly: true },
    ]);
    const networks = Object.keys(info.NetworkSettings.Networks).sort();
    expect(networks).toEqual(['bridge', resolved.networks.back.name, resolved.networks.default.name].sort());
    expect(info.Config.Healthcheck.Test).toEqual(web.healthcheck.test);
    expect(info.Config.StopTimeout).toBe(2);
    // Nothing of compose's own bookkeeping: compose must not mistake a colour for its container.
    expect(Object.keys(info.Config.Labels).filter((l) => l.startsWith('com.docker.compose'))).toEqual([]);
  });

  it('deploys under load with zero failed requests; the colour reaches db on the compose network and reads the secret', async () => {
    // --env-file (compose.envFile) switches the tag and the interpolated values.
    await writeFile(stack.configFile, stringify(linkswitchConfig([v2], { envFile: 'prod.env' })));
    const load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 60_000 });
    const deploy = await stack.cli(['deploy', '--json']);
    const samples = await load.stop();
    expect(deploy.exitCode, deploy.all).toBe(0);
    expect(failures(samples)).toEqual([]);
    const get = async (p: string) => (await (await fetch(`http://127.0.0.1:${stack.port}${p}`)).text()).trim();
    expect(await get('/')).toBe('v2');
    expect(await get('/x/env?k=GREETING')).toBe('from-prod-env');
    expect(await get('/x/get?u=http://db:8080/')).toBe('db');
    expect(await get('/x/cat?p=/run/secrets/api_key')).toBe('k-123');
  });

  it('refuses to deploy while a depends_on service is down, and changes nothing', async () => {
    await compose(['stop', 'db']);
    try {
      const before = await stack.readState();
      const deploy = await stack.cli(['deploy']);
      expect(deploy.exitCode, deploy.all).toBe(6);
      expect(deploy.stderr).toMatch(
        /depends on compose service db, which is not running; start it first: docker compose -p \S+ up -d db/,
      );
      expect(await stack.readState()).toEqual(before);
    } finally {
      await compose(['start', 'db']);
    }
  });

  it('refuses a compose service with ports, naming the file and the key (exit 2)', async () => {
    await writeFile(files[1]!, stringify({ services: { web: { ...OVERRIDE.services.web, ports: ['8080:8080'] } } }));
    try {
      const result = await stack.cli(['deploy']);
      expect(result.exitCode, result.all).toBe(2);
      expect(result.stderr).toMatch(
        /ports in compose service web \(docker-compose\.yml, docker-compose\.override\.yml\) is refused/,
      );
    } finally {
      await writeFile(files[1]!, stringify(OVERRIDE));
    }
  });

  it('resolves the same container with Compose v1 (docker-compose 1.29)', async () => {
    const { stdout } = await execa('docker-compose', ['version', '--short']);
    expect(stdout).toMatch(/^1\./);
    const v2Colour = await inspect((await stack.readState()).linked);
    await writeFile(stack.configFile, stringify(linkswitchConfig(['docker-compose'], { envFile: 'prod.env' })));
    const deploy = await stack.cli(['deploy']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const v1Colour = await inspect((await stack.readState()).linked);
    expect(v1Colour.Name).not.toBe(v2Colour.Name);
    for (const pick of [
      (i: typeof v1Colour) => i.Config.Image,
      (i: typeof v1Colour) => [...i.Config.Env].sort(),
      // v1 lists the mounts in another order; the set is what counts.
      (i: typeof v1Colour) => [...i.HostConfig.Mounts].sort((a, b) => a.Target.localeCompare(b.Target)),
      (i: typeof v1Colour) => Object.keys(i.NetworkSettings.Networks).sort(),
      (i: typeof v1Colour) => i.Config.Healthcheck,
      (i: typeof v1Colour) => Object.entries(i.Config.Labels).filter(([k]) => !k.startsWith('linkswitch.')),
      (i: typeof v1Colour) => i.Config.StopTimeout,
    ])
      expect(pick(v1Colour)).toEqual(pick(v2Colour));
  });
});
