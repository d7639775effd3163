import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import {
  CLI,
  type CliResult,
  freePort,
  haproxySettings,
  nameSuffix,
  type PausedCli,
  startPausedCli,
  type TestState,
} from './stack.js';

// Several services behind one HAProxy (a `services:` config), for one test file: the services
// are given by a short id (app, api, …) and get unique names; each container answers with its
// id in `x-service` (the test app's SERVICE_ID), so a test sees which service served a request.

export interface MultiStack {
  dir: string;
  httpPort: number;
  httpsPort: number;
  configFile: string;
  haproxyCfg: string;
  /** Service name by id. */
  names: Record<string, string>;
  cli(args: string[]): Promise<CliResult>;
  /** Starts the CLI paused at `point` (LINKSWITCH_PAUSE_AT). */
  startPaused(args: string[], point: string): Promise<PausedCli>;
  /** Writes the config from `services` (by id) and `extra` top-level/haproxy keys. */
  writeConfig(
    services: Record<string, Record<string, unknown>>,
    extra?: { haproxy?: Record<string, unknown> },
  ): Promise<void>;
  readState(id: string): Promise<TestState>;
  destroy(): Promise<void>;
}

export async function createMultiStack(prefix: string, ids: string[]): Promise<MultiStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `linkswitch-${prefix}-`));
  const suffix = nameSuffix(dir);
  const names = Object.fromEntries(ids.map((id) => [id, `lsm-${id}-${suffix}`]));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const configFile = path.join(dir, 'linkswitch.yml');
  const stack: MultiStack = {
    dir,
    httpPort,
    httpsPort,
    configFile,
    haproxyCfg: path.join(dir, 'run', 'haproxy.cfg'),
    names,
    async cli(args) {
      const result = await execa('node', [CLI, ...args], {
        reject: false,
        all: true,
        env: { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' },
        timeout: 120_000,
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all };
    },
    startPaused(args, point) {
      return startPausedCli(args, point, { LINKSWITCH_CONFIG: configFile });
    },
    async writeConfig(services, extra = {}) {
      const entries = Object.entries(services).map(([id, spec]) => [
        names[id] ?? id,
        {
          image: 'linkswitch-test-app:v1',
          port: 8080,
          stop_grace_period: '2s',
          health: { interval: '100ms', timeout: '20s' },
          ...spec,
          environment: { SERVICE_ID: id, ...((spec.environment as Record<string, string>) ?? {}) },
        },
      ]);
      const config = {
        services: Object.fromEntries(entries),
        haproxy: { ...haproxySettings(`127.0.0.1:${httpPort}`), ...extra.haproxy },
        state: { dir: 'run/state' },
      };
      await writeFile(configFile, stringify(config));
    },
    async readState(id) {
      return JSON.parse(await readFile(path.join(dir, 'run', 'state', `${names[id]}.json`), 'utf8'));
    },
    async destroy() {
      await stack.cli(['--lock-wait', '60s', 'down']);
      for (const name of Object.values(names)) {
        const { stdout } = await execa('docker', ['ps', '-aq', '--filter', `label=linkswitch.service=${name}`], {
          reject: false,
        });
        const containers = stdout.split('\n').filter(Boolean);
        if (containers.length) await execa('docker', ['rm', '-f', ...containers], { reject: false });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
