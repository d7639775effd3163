import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { getJson } from '../src/adapters/docker-http.js';
import { median } from './metrics.js';
import { benchHaproxy } from './stack-config.js';

// What the Docker allow-list proxy (`linkswitch docker-proxy`, issue 31) costs: one Engine API
// call (an inspect of a linkswitch container, which the proxy checks with an inspect of its own)
// and a whole CLI deploy, each straight to the engine's socket and through the proxy,
// interleaved in the same run on the same stack.

export interface DockerProxyResult {
  calls: { direct: number[]; proxied: number[] };
  deploys: { direct: number[]; proxied: number[] };
  refused: number;
}

export interface DockerProxyDeps {
  cli: string;
  templates: string;
  images: [string, string];
  calls: number;
  deploys: number;
  check: { inter: string; rise: number; fall: number };
  freePort(): Promise<number>;
  onCleanup(what: string, fn: () => Promise<unknown>): void;
  say(message: string): void;
}

export async function scenarioDockerProxy(deps: DockerProxyDeps): Promise<DockerProxyResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-dp-'));
  deps.onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const port = await deps.freePort();
  const configFile = path.join(dir, 'linkswitch.yml');
  const name = 'bench-dp';
  await writeFile(
    configFile,
    stringify({
      service: { name, image: deps.images[0], port: 8080 },
      health: { interval: '100ms', timeout: '30s' },
      haproxy: benchHaproxy(port, deps.templates, deps.check),
      state: { file: 'run/state.json' },
    }),
  );
  const env = { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' };
  const socket = path.join(dir, 'proxy', 'docker.sock');
  const proxied = { ...env, DOCKER_HOST: `unix://${socket}` };
  deps.onCleanup('linkswitch down (docker-proxy bench)', () =>
    execa('node', [deps.cli, 'down'], { env, reject: false }),
  );
  const proxy = spawn('node', [deps.cli, 'docker-proxy', '--listen', socket], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proxy.stderr?.on('data', (chunk) => {
    log += String(chunk);
  });
  deps.onCleanup('stop the docker proxy', async () => proxy.kill('SIGTERM'));
  for (let i = 0; i < 200 && !log.includes('Docker proxy listening'); i++) await sleep(50);
  if (!log.includes('Docker proxy listening')) throw new Error(`docker-proxy bench: the proxy did not start: ${log}`);

  const up = await execa('node', [deps.cli, 'up'], { env: proxied, reject: false });
  if (up.exitCode !== 0) throw new Error(`docker-proxy bench: up failed: ${up.stderr}`);

  deps.say(`docker proxy: ${deps.calls} inspects each way`);
  const result: DockerProxyResult = {
    calls: { direct: [], proxied: [] },
    deploys: { direct: [], proxied: [] },
    refused: 0,
  };
  const inspect = `/containers/${name}-blue/json`;
  for (let i = 0; i < deps.calls; i++) {
    for (const [where, path_] of [
      ['direct', '/var/run/docker.sock'],
      ['proxied', socket],
    ] as const) {
      const started = performance.now();
      const answer = await getJson(path_, inspect);
      if (answer.status !== 200) throw new Error(`docker-proxy bench: inspect answered ${answer.status}`);
      result.calls[where].push(performance.now() - started);
    }
  }
  deps.say(`docker proxy: ${deps.deploys} deploys each way`);
  for (let i = 0; i < deps.deploys; i++) {
    for (const where of i % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const)) {
      const image = deps.images[(result.deploys.direct.length + result.deploys.proxied.length + 1) % 2] as string;
      const started = performance.now();
      const deploy = await execa('node', [deps.cli, 'deploy', '--image', image], {
        env: where === 'proxied' ? proxied : env,
        reject: false,
      });
      if (deploy.exitCode !== 0) throw new Error(`docker-proxy bench: deploy (${where}) failed: ${deploy.stderr}`);
      result.deploys[where].push(performance.now() - started);
    }
  }
  result.refused = log.split('\n').filter((l) => l.includes('Docker call refused')).length;
  return result;
}

const fmt = (values: number[], digits = 0) =>
  values.length === 0
    ? '-'
    : `${median(values).toFixed(digits)} ms (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

export function renderDockerProxy(r: DockerProxyResult): string {
  const ratio = (a: number[], b: number[]) => (median(b) / Math.max(1e-9, median(a))).toFixed(2);
  return [
    '## Docker proxy (issue 31)',
    '',
    "The sidecar's Docker calls through `linkswitch docker-proxy` against straight to the engine's",
    'socket, interleaved on one stack: an inspect of a linkswitch container (the proxy adds its own',
    'inspect to check the label), and whole CLI deploys.',
    '',
    '| | straight to the engine | through the proxy | ratio |',
    '| --- | ---: | ---: | ---: |',
    `| one inspect (${r.calls.direct.length} each) | ${fmt(r.calls.direct, 1)} | ${fmt(r.calls.proxied, 1)} | ×${ratio(r.calls.direct, r.calls.proxied)} |`,
    `| CLI deploy (${r.deploys.direct.length} each) | ${fmt(r.deploys.direct)} | ${fmt(r.deploys.proxied)} | ×${ratio(r.deploys.direct, r.deploys.proxied)} |`,
    `| calls the proxy refused | | ${r.refused} | |`,
    '',
  ].join('\n');
}
