import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { buildLocalBaseImages, imageLines, ROOT, SIDECAR_IMAGE } from '../../scripts/local-images.js';
import { httpGet, versionOf } from './fakes.js';
import { CLI, type CliResult, freePort, nameSuffix, TEMPLATES, type TestState, toCliResult } from './stack.js';

// The repo's docker-compose.yml brought up as its own compose project: unique project, network,
// service name and ports, a temp copy of the templates (tests edit them) and a temp sidecar
// config. The haproxy and node images are the locally built ones (no registry here).

export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

export interface ComposeStack {
  project: string;
  /** linkswitch service name: containers <service>-blue / <service>-green. */
  service: string;
  httpPort: number;
  /** Several services (compose/multi): HTTPS, and each service's name by its id in that file. */
  httpsPort: number;
  names: Record<string, string>;
  controlPort: number;
  token: string;
  dir: string;
  templatesDir: string;
  env: Record<string, string>;
  compose(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** `docker-compose exec -T linkswitch linkswitch …`: the CLI inside the sidecar container. */
  exec(args: string[]): Promise<CliResult>;
  /** The CLI on the host, with no config, pointed at the sidecar's TCP control API. */
  hostCli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** One request to the control API over TCP (with the token unless `token` is given). */
  api(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: string }>;
  sidecarContainer(): Promise<string>;
  /** The sidecar's JSON log lines, parsed. */
  logs(): Promise<Array<Record<string, unknown>>>;
  /** The state file, read from the sidecar container (also when it is stopped). */
  readState(): Promise<TestState>;
  destroy(): Promise<void>;
}

/** GET / on a fresh connection: the version header and any X-Template header. */
export async function getVersion(port: number): Promise<{ version: string; template: string | null }> {
  try {
    const answer = await httpGet(port, { timeoutMs: 3000 });
    const template = answer.headers['x-template'];
    return {
      version: versionOf(answer) ?? `HTTP ${answer.status}`,
      template: typeof template === 'string' ? template : null,
    };
  } catch (error) {
    return { version: `error ${(error as Error).message}`, template: null };
  }
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resident memory of a process, from /proc (the sidecar's node is PID 1 of its container). */
export async function residentKb(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

/** The state file of a sidecar container (running or stopped), copied out into `dir`. */
export async function readStateFrom(
  container: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<TestState> {
  const target = path.join(dir, `state-${Date.now()}.json`);
  await execa('docker', ['cp', `${container}:/var/lib/linkswitch/state.json`, target], { env });
  return JSON.parse(await readFile(target, 'utf8'));
}

/**
 * compose/<dir>/linkswitch.yml (multi: certificate files; acme: from Pebble) with this run's
 * names: each service `<id>` becomes `<service>-<id>`, its route host `<id>.<service>.test`.
 */
async function multiConfig(dir: 'multi' | 'acme', service: string, project: string, image: string): Promise<string> {
  const text = await readFile(path.join(ROOT, 'compose', dir, 'linkswitch.yml'), 'utf8');
  return text
    .replace(/^ {2}(web|api):/gm, `  ${service}-$1:`)
    .replace(/routes: \[app\.demo\.test\]/, `routes: [web.${service}.test]`)
    .replace(/routes: \[api\.demo\.test\]/, `routes: [api.${service}.test]`)
    .replace(/^( {4}image:) \S+/gm, `$1 ${image}`)
    .replace(/^( {2}name:) linkswitch\b/m, `$1 ${project}`);
}

/**
 * compose/pebble.yml with HAProxy's aliases for this run's hosts (its paths stay relative to the
 * repo, the project directory).
 */
async function pebbleOverlay(dir: string, service: string): Promise<string> {
  const text = await readFile(path.join(ROOT, 'compose', 'pebble.yml'), 'utf8');
  const file = path.join(dir, 'pebble.yml');
  await writeFile(
    file,
    text.replace('aliases: [app.demo.test, api.demo.test]', `aliases: [web.${service}.test, api.${service}.test]`),
  );
  return file;
}

/**
 * `engine`: run the stack on another Docker engine (DOCKER_HOST and its socket for the sidecar).
 * `config.multi`: compose/multi/linkswitch.yml (two services on HTTPS; `certs` has site.pem).
 * `config.acme`: compose/acme/linkswitch.yml and compose/pebble.yml (`certs`/pebble has Pebble's
 * own certificate; its management API on 127.0.0.1:`managementPort`).
 */
export async function createComposeStack(
  prefix: string,
  config: {
    image: string;
    multi?: { certs: string };
    acme?: { certs: string; managementPort: number; pebbleImage: string };
  },
  engine: { dockerHost: string; socket: string } | null = null,
): Promise<ComposeStack> {
  const engineEnv: Record<string, string> = engine
    ? { DOCKER_HOST: engine.dockerHost, LINKSWITCH_DOCKER_SOCKET: engine.socket }
    : {};
  const dir = await mkdtemp(path.join(os.tmpdir(), `linkswitch-${prefix}-`));
  // mkdtemp makes it 700: the stack's non-root user reads the config and templates inside.
  await chmod(dir, 0o755);
  const certs = config.multi?.certs ?? config.acme?.certs;
  if (certs) await chmod(certs, 0o755);
  const suffix = nameSuffix(dir);
  const project = `lss${prefix}${suffix}`;
  const service = `lss-${prefix}-${suffix}`;
  const [httpPort, httpsPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const names: Record<string, string> = certs ? { web: `${service}-web`, api: `${service}-api` } : {};
  // 32 random bytes: the sidecar refuses a shorter token.
  const token = randomBytes(32).toString('hex');
  const etc = path.join(dir, 'etc');
  const templatesDir = path.join(dir, 'templates');
  await mkdir(etc);
  await cp(TEMPLATES, templatesDir, { recursive: true });
  // The shipped compose/linkswitch.yml with this run's names, and quicker health polling.
  const shipped = certs
    ? await multiConfig(config.acme ? 'acme' : 'multi', service, project, config.image)
    : (await readFile(path.join(ROOT, 'compose', 'linkswitch.yml'), 'utf8'))
        .replace(/^( {2}name:) web\b/m, `$1 ${service}`)
        .replace(/^( {2}image:) \S+/m, `$1 ${config.image}`)
        .replace(/^( {2}name:) linkswitch\b/m, `$1 ${project}`);
  await writeFile(
    path.join(etc, 'linkswitch.yml'),
    `${shipped}\n# test overrides\n${stringify({ deploy: { drainTimeout: '3s' } })}`,
  );
  const envFile = path.join(dir, 'compose.env');
  await writeFile(envFile, '');
  const { nodeImage, haproxyImage } = await buildLocalBaseImages();
  const haproxyFor = process.env.LINKSWITCH_TEST_HAPROXY_IMAGE ?? haproxyImage;
  const env: Record<string, string> = {
    // LINKSWITCH_TEST_HAPROXY=3.0: the HAProxy 3.0 image (test/support/haproxy-version.ts).
    HAPROXY_IMAGE: haproxyFor,
    NODE_IMAGE: nodeImage,
    ...(await imageLines(nodeImage, haproxyFor)),
    LINKSWITCH_IMAGE: SIDECAR_IMAGE,
    LINKSWITCH_TOKEN: token,
    LINKSWITCH_HTTP: `127.0.0.1:${httpPort}`,
    LINKSWITCH_HTTPS: `127.0.0.1:${httpsPort}`,
    ...(certs ? { LINKSWITCH_CERTS: certs } : {}),
    ...(config.acme
      ? {
          PEBBLE_IMAGE: config.acme.pebbleImage,
          LINKSWITCH_PEBBLE_MANAGEMENT: `127.0.0.1:${config.acme.managementPort}`,
        }
      : {}),
    LINKSWITCH_CONTROL: `127.0.0.1:${controlPort}`,
    LINKSWITCH_NETWORK: project,
    LINKSWITCH_ETC: etc,
    LINKSWITCH_TEMPLATES: templatesDir,
    ...engineEnv,
  };
  const files = ['-f', COMPOSE_FILE, ...(config.acme ? ['-f', await pebbleOverlay(dir, service)] : [])];
  const compose = async (args: string[], extra: Record<string, string> = {}) =>
    toCliResult(
      await execa('docker-compose', ['--env-file', envFile, '-p', project, ...files, ...args], {
        cwd: ROOT,
        env: { ...env, ...extra },
        reject: false,
        all: true,
        timeout: 180_000,
      }),
    );
  const stack: ComposeStack = {
    project,
    service,
    httpPort,
    httpsPort,
    names,
    controlPort,
    token,
    dir,
    templatesDir,
    env,
    compose,
    exec: (args) => compose(['exec', '-T', 'linkswitch', 'linkswitch', ...args]),
    async hostCli(args, extra = {}) {
      return toCliResult(
        await execa(process.execPath, [CLI, ...args], {
          reject: false,
          all: true,
          timeout: 120_000,
          // No config at all on the host: the sidecar has it.
          env: {
            LINKSWITCH_SIDECAR: `http://127.0.0.1:${controlPort}`,
            LINKSWITCH_TOKEN: token,
            LINKSWITCH_CONFIG: path.join(dir, 'absent.yml'),
            LINKSWITCH_LOG_FORMAT: 'json',
            ...extra,
          },
          extendEnv: false,
        }),
      );
    },
    api(method, route, body, withToken = token) {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const request = http.request(
          {
            host: '127.0.0.1',
            port: controlPort,
            method,
            path: route,
            agent: false,
            headers: {
              authorization: `Bearer ${withToken}`,
              ...(payload ? { 'content-type': 'application/json' } : {}),
            },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        request.setTimeout(120_000, () => request.destroy(new Error('timeout')));
        request.on('error', reject);
        request.end(payload);
      });
    },
    async sidecarContainer() {
      return (await compose(['ps', '-q', 'linkswitch'])).stdout.trim();
    },
    async logs() {
      const { stdout } = await compose(['logs', '--no-color', 'linkswitch']);
      return stdout
        .split('\n')
        .map((line) => line.slice(line.indexOf('|') + 1).trim())
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async readState() {
      return readStateFrom(await stack.sidecarContainer(), dir, engineEnv);
    },
    async destroy() {
      // The sidecar first, so that removing the colours does not look like a failure to it.
      await compose(['stop', '-t', '30', 'linkswitch']);
      for (const name of [service, ...Object.values(names)]) {
        const { stdout } = await execa('docker', ['ps', '-aq', '--filter', `label=linkswitch.service=${name}`], {
          reject: false,
          env: engineEnv,
        });
        const ids = stdout.split('\n').filter(Boolean);
        if (ids.length) await execa('docker', ['rm', '-f', ...ids], { reject: false, env: engineEnv });
      }
      await compose(['down', '-v', '--remove-orphans', '-t', '10']);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Builds the sidecar image from the repo's Dockerfile with the local base images. */
export async function buildSidecarImage(stack: ComposeStack): Promise<void> {
  const built = await stack.compose(['build', 'linkswitch']);
  if (built.exitCode !== 0) throw new Error(`docker-compose build failed:\n${built.all.slice(-3000)}`);
}
