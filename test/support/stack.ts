import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';

// One linkswitch stack per test file: its own service name, temp dir, HAProxy port and state.
// The CLI runs as a real subprocess (the built launcher, dist/bundle/bin.cjs: the package's bin), exactly as a user runs it.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'bundle', 'bin.cjs');
export const TEMPLATES = path.join(ROOT, 'templates');

/** Six lowercase characters from a mkdtemp directory: a unique suffix for names Docker accepts. */
export function nameSuffix(dir: string): string {
  return path
    .basename(dir)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
}

/** The config's haproxy block for a stack whose files live in `run/` beside the config. */
export function haproxySettings(bind: string): Record<string, unknown> {
  return {
    bind,
    configFile: 'run/haproxy.cfg',
    templateDir: TEMPLATES,
    masterSocket: 'run/master.sock',
    adminSocket: 'run/admin.sock',
    pidFile: 'run/haproxy.pid',
    check: { inter: '200ms' },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, for assertion messages. */
  all: string;
}

/** execa's result as a CliResult (stdout/stderr/all as text, a missing exit code as -1). */
export function toCliResult(r: { exitCode?: number; stdout?: unknown; stderr?: unknown; all?: unknown }): CliResult {
  return {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    all: String(r.all ?? ''),
  };
}

/** The fields of the state file the tests read. */
export type TestState = {
  linked: string;
  generation: number;
  colours: Record<string, { image: string } | null>;
  pending: { colour: string; canary?: { step: number; of: number; percent: number } } | null;
};

export interface PausedCli {
  pid: number;
  kill(): Promise<void>;
  /** Lets the paused command go on (SIGUSR2) and waits for it to finish. */
  resume(): Promise<CliResult>;
}

/** Starts the CLI and resolves once it logs that it paused at `point` (LINKSWITCH_PAUSE_AT). */
export async function startPausedCli(args: string[], point: string, env: Record<string, string>): Promise<PausedCli> {
  const child = execa('node', [CLI, ...args], {
    reject: false,
    env: { LINKSWITCH_LOG_FORMAT: 'json', LINKSWITCH_PAUSE_AT: point, ...env },
    timeout: 120_000,
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Paused at test pause point')) resolve();
    });
    child.then(
      (result) => reject(new Error(`linkswitch exited (${result.exitCode}) before pausing at ${point}:\n${output}`)),
      reject,
    );
  });
  return {
    pid: child.pid!,
    async kill() {
      child.kill('SIGKILL');
      await child;
    },
    async resume() {
      child.kill('SIGUSR2');
      const result = await child;
      return {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        all: String(result.stderr),
      };
    },
  };
}

export interface Stack {
  name: string;
  dir: string;
  port: number;
  configFile: string;
  stateFile: string;
  haproxyCfg: string;
  cli(args: string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  /** Starts the CLI and resolves once it logs that it paused at `point` (LINKSWITCH_PAUSE_AT). */
  startPaused(args: string[], point: string): Promise<PausedCli>;
  writeConfig(overrides?: Record<string, unknown>): Promise<void>;
  /** The default `service:` block (test app v1, without what createStack was given) plus `extra`. */
  serviceWith(extra: Record<string, unknown>): Record<string, unknown>;
  readState(): Promise<TestState>;
  destroy(): Promise<void>;
}

/** `env`: added to every command the stack runs (e.g. DOCKER_HOST of a private engine). */
export async function createStack(
  prefix: string,
  service: Record<string, unknown> = {},
  options: { env?: Record<string, string> } = {},
): Promise<Stack> {
  const stackEnv = options.env ?? {};
  const dir = await mkdtemp(path.join(os.tmpdir(), `linkswitch-${prefix}-`));
  const name = `lst-${prefix}-${nameSuffix(dir)}`;
  const port = await freePort();
  const configFile = path.join(dir, 'linkswitch.yml');
  const defaultService = { name, image: 'linkswitch-test-app:v1', port: 8080, stop_grace_period: '2s' };
  const base = {
    service: { ...defaultService, ...service },
    health: { interval: '100ms', timeout: '20s' },
    haproxy: haproxySettings(`127.0.0.1:${port}`),
    state: { file: 'run/state.json' },
  };
  const stack: Stack = {
    name,
    dir,
    port,
    configFile,
    stateFile: path.join(dir, 'run', 'state.json'),
    haproxyCfg: path.join(dir, 'run', 'haproxy.cfg'),
    async cli(args, options = {}) {
      const result = await execa('node', [CLI, ...args], {
        reject: false,
        all: true,
        env: { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json', ...stackEnv, ...options.env },
        timeout: 120_000,
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all };
    },
    startPaused(args, point) {
      return startPausedCli(args, point, { LINKSWITCH_CONFIG: configFile, ...stackEnv });
    },
    async writeConfig(overrides = {}) {
      const merged = { ...base, ...overrides };
      await writeFile(configFile, stringify(merged));
    },
    serviceWith(extra) {
      return { ...defaultService, ...extra };
    },
    async readState() {
      return JSON.parse(await readFile(stack.stateFile, 'utf8'));
    },
    async destroy() {
      // --lock-wait: a test that failed mid-deploy may still have a deploy running.
      await stack.cli(['--lock-wait', '60s', 'down']);
      // Belt and braces: remove only containers labelled with this stack's service name.
      const { stdout } = await execa('docker', ['ps', '-aq', '--filter', `label=linkswitch.service=${name}`], {
        reject: false,
        env: stackEnv,
      });
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length) await execa('docker', ['rm', '-f', ...ids], { reject: false, env: stackEnv });
      await rm(dir, { recursive: true, force: true });
    },
  };
  await stack.writeConfig();
  return stack;
}
