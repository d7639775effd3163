// linkswitch benchmark: the same app (two versions, 1.5 s start-up, /health) behind the same
// HAProxy binary and defaults, under the same paced keep-alive load from a separate client
// process, deployed four ways:
//   1. in-place recreate: `docker-compose up -d` after changing the tag
//   2. the blog recipe: both colours behind HAProxy (check + redispatch + retries),
//      start new / sleep 5 / stop old
//   3. `linkswitch deploy` and `linkswitch rollback` (the real CLI, dist/bundle/bin.cjs)
//   4. 100 HAProxy reloads under load through linkswitch's reload path (Haproxy.reload())
// Writes bench/results.md, bench/results.json and bench/timeline.svg (bench/out/ with --smoke).
// Run: npm run bench [-- --smoke], i.e. npm run build && npx tsx bench/run.ts   (BENCH_REPS=7, BENCH_RELOADS=100, BENCH_CONNECTIONS=8, BENCH_RATE=50 by default)
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { ensureNodeRuntime } from '../scripts/node-runtime.mjs';
import { buildTestImages, imageRef } from '../test/support/images.js';
import { trixieTool } from '../test/support/trixie-tools.js';
import { renderAcme, scenarioAcme } from './acme.js';
import { startBaselineHaproxy } from './baseline-haproxy.js';
import { renderDockerProxy, scenarioDockerProxy } from './docker-proxy.js';
import { type FastPathDeps, scenarioFastPaths } from './fast-paths.js';
import {
  analyse,
  isFailure,
  median,
  parseLogs,
  phaseDurations,
  type RunMetrics,
  type RunTimes,
  type Sample,
  timeline,
} from './metrics.js';
import { NEIGHBOUR_SERVICES, renderNeighbours, scenarioNeighbours } from './neighbours.js';
import { renderReloadFree, scenarioReloadFree } from './reload-free.js';
import { type BenchData, type RunRecord, renderMarkdown, type Scenario } from './report.js';
import { renderFastPaths } from './report-fast.js';
import { findRuntimes, renderRuntimes, scenarioRuntimes } from './runtimes.js';
import { renderScale, scaleBench } from './scale.js';
import { benchHaproxy } from './stack-config.js';
import { type TimelineRow, timelineSvg } from './svg.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const CLI = path.join(ROOT, 'dist', 'bundle', 'bin.cjs');
const TEMPLATES = path.join(ROOT, 'templates');

const intEnv = (name: string, fallback: number, min: number, max: number) => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
};
/**
 * `--smoke`: one run of every scenario and 10 reloads, written to bench/out/ (git-ignored) so the
 * committed results stay the full run's. CI runs it after the tests, so the bench cannot rot.
 */
const SMOKE = process.argv.includes('--smoke');
const REPS = SMOKE ? 1 : intEnv('BENCH_REPS', 7, 1, 15);
const RELOADS = SMOKE ? 10 : intEnv('BENCH_RELOADS', 100, 1, 500);
const OUT = SMOKE ? path.join(BENCH, 'out') : BENCH;
/**
 * The same offered load everywhere: 8 keep-alive connections × 50 req/s = 400 req/s. On 2 cores
 * that keeps the machine about a third busy (client, HAProxy, docker-proxy, app), so the deploys
 * are not starved by the load; 1000 req/s keeps it ~80 % busy (BENCH_RATE=125 to try it).
 */
const LOAD = {
  connections: intEnv('BENCH_CONNECTIONS', 8, 1, 64),
  ratePerConn: intEnv('BENCH_RATE', 50, 1, 500),
  maxMs: 90_000,
  maxRequests: 200_000,
};
type LoadProfile = typeof LOAD;
/**
 * The saturating load: 100 keep-alive connections, each sending its next request as soon as the
 * previous one is answered (no pacing), so the machine serves as many requests as it can.
 * Compose's recreate and linkswitch's deploy are compared under it too.
 */
const SATURATING: LoadProfile = { connections: 100, ratePerConn: 0, maxMs: 90_000, maxRequests: 400_000 };
const SAT_REPS = SMOKE ? 1 : Math.min(REPS, 5);
const PRE_MS = 1000; // load before the deploy starts
const POST_MS = 1500; // load after the new version serves alone and the controller exited
const CHECK = { inter: '200ms', rise: 1, fall: 2 }; // HAProxy health check, same for all scenarios
const RETRIES = 3;
const WATCHDOG_MS = 15 * 60_000;

const VERSIONS = ['bench-v1', 'bench-v2'] as const;
type Version = (typeof VERSIONS)[number];
const IMAGE: Record<Version, string> = { 'bench-v1': imageRef('bench-v1'), 'bench-v2': imageRef('bench-v2') };
const other = (v: Version): Version => (v === 'bench-v1' ? 'bench-v2' : 'bench-v1');

const LS_SERVICE = 'bench-ls';
const COMPOSE_PROJECT = 'benchcompose';
const COMPOSE_CONTAINER = 'bench-compose-app';
const BLOG = { blue: 'bench-blog-blue', green: 'bench-blog-green' } as const;
const PROBE_PREFIX = 'bench-probe-';
/** Every container this bench may create; removed at the start (leftovers) and at the end. */
const CONTAINERS = [
  COMPOSE_CONTAINER,
  BLOG.blue,
  BLOG.green,
  `${LS_SERVICE}-blue`,
  `${LS_SERVICE}-green`,
  ...NEIGHBOUR_SERVICES.flatMap((s) => [`${s}-blue`, `${s}-green`]),
  ...Array.from({ length: 30 }, (_, i) => `${PROBE_PREFIX}${i + 1}`),
];

const now = () => performance.timeOrigin + performance.now();
const benchStart = now();
const say = (message: string) =>
  process.stderr.write(`[bench ${((now() - benchStart) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Cleanup: everything this run starts registers its own undo; run once, on success or failure.

const undo: Array<{ what: string; fn: () => Promise<unknown> }> = [];
const onCleanup = (what: string, fn: () => Promise<unknown>) => undo.push({ what, fn });
let cleaned: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    for (const { what, fn } of undo.reverse()) {
      try {
        await fn();
      } catch (error) {
        say(`cleanup: ${what} failed: ${String(error)}`);
      }
    }
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function removeContainers(names: string[]): Promise<void> {
  const { stdout } = await execa('docker', ['ps', '-a', '--format', '{{.Names}}'], { reject: false });
  const present = stdout.split('\n').filter(Boolean);
  // A colour's `<name>-retired-<time>` container, should a deploy have been interrupted.
  const mine = present.filter((n) => names.includes(n) || names.some((name) => n.startsWith(`${name}-retired-`)));
  if (mine.length) await execa('docker', ['rm', '-f', ...mine], { reject: false });
}

// ---------------------------------------------------------------------------------------------
// Tools.

async function has(command: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0;
}

async function aptInstall(pkg: string): Promise<boolean> {
  if (process.getuid?.() !== 0 || !(await has('apt-get'))) return false;
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  say(`installing ${pkg} (apt-get)`);
  const first = await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    reject: false,
    env,
    timeout: 300_000,
  });
  if (first.exitCode === 0) return true;
  await execa('apt-get', ['update', '-qq'], { reject: false, env, timeout: 300_000 });
  return (
    (
      await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
        reject: false,
        env,
        timeout: 300_000,
      })
    ).exitCode === 0
  );
}

interface Tools {
  compose: { usable: boolean; version: string | null; note: string };
  time: boolean;
}

async function ensureTools(): Promise<Tools> {
  if ((await execa('docker', ['info'], { reject: false })).exitCode !== 0) {
    say('docker info failed: running scripts/setup.sh');
    await execa('bash', [path.join(ROOT, 'scripts', 'setup.sh')], { stdio: 'inherit', timeout: 600_000 });
  }
  if (!(await has('haproxy'))) throw new Error('haproxy not found: run `npm run setup`');
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run \`npm run build\` first`);
  let note = '';
  if (process.env.BENCH_NO_COMPOSE === '1') {
    return { compose: { usable: false, version: null, note: 'BENCH_NO_COMPOSE=1' }, time: existsSync('/usr/bin/time') };
  }
  if (!(await has('docker-compose')))
    note = (await aptInstall('docker-compose'))
      ? 'installed by the bench (apt-get install docker-compose)'
      : 'docker-compose could not be installed';
  const v = await execa('docker-compose', ['version', '--short'], { reject: false });
  const compose =
    v.exitCode === 0
      ? { usable: true, version: v.stdout.trim(), note }
      : { usable: false, version: null, note: note || 'docker-compose not usable' };
  let time = existsSync('/usr/bin/time');
  if (!time) time = (await aptInstall('time')) && existsSync('/usr/bin/time');
  return { compose, time };
}

// ---------------------------------------------------------------------------------------------
// Processes measured for wall time and peak RSS.

let tempRoot = '';
let measuredCount = 0;
interface Measured {
  start: number;
  end: number;
  rssKb: number | null;
  cpuMs?: number | null;
  majorFaults?: number | null;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

let tools: Tools;
async function measured(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<Measured> {
  const timeout = options.timeoutMs ?? 120_000;
  if (tools.time) {
    const rssFile = path.join(tempRoot, `rss-${++measuredCount}.txt`);
    const start = now();
    // %M max RSS (KB), %F major page faults, %U/%S user/system CPU seconds (process + waited children).
    const result = await execa('/usr/bin/time', ['-f', '%M %F %U %S', '-o', rssFile, file, ...args], {
      reject: false,
      env: options.env,
      cwd: options.cwd,
      timeout,
    });
    const end = now();
    const lines = (await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n');
    const [rss, majorFaults, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    return {
      start,
      end,
      rssKb: rss !== undefined && Number.isFinite(rss) && rss > 0 ? rss : null,
      cpuMs: user !== undefined && sys !== undefined && Number.isFinite(user + sys) ? (user + sys) * 1000 : null,
      majorFaults: majorFaults ?? null,
      exitCode: result.exitCode,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  }
  // Fallback: poll the process's own high-water mark (children of a script are not covered).
  const start = now();
  const child = execa(file, args, { reject: false, env: options.env, cwd: options.cwd, timeout });
  let hwm: number | null = null;
  const poll = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8')
      .then((s) => {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1]);
        if (kb > (hwm ?? 0)) hwm = kb;
      })
      .catch(() => undefined);
  }, 10);
  const result = await child;
  clearInterval(poll);
  return {
    start,
    end: now(),
    rssKb: hwm,
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

// ---------------------------------------------------------------------------------------------
// The load client (bench/load-client.mjs in its own process).

const loads = new Set<ChildProcess>();
onCleanup('stop load clients', async () => {
  for (const child of loads) if (child.exitCode === null) child.kill('SIGTERM');
});

class Load {
  private nextId = 0;
  private handlers = new Map<string, (message: { [k: string]: unknown }) => void>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { cmd: string; id?: number }) => {
      const key = message.id === undefined ? message.cmd : `${message.cmd}:${message.id}`;
      this.handlers.get(key)?.(message);
      this.handlers.delete(key);
    });
  }

  private next(key: string): Promise<{ [k: string]: unknown }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load client: no "${key}" within 120 s`)), 120_000);
      this.handlers.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  static async start(port: number, profile: LoadProfile = LOAD): Promise<Load> {
    // execArgv []: a plain node process, without the tsx loader of this one.
    const child = fork(path.join(BENCH, 'load-client.mjs'), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    loads.add(child);
    child.on('exit', () => loads.delete(child));
    const load = new Load(child);
    const started = load.next('started');
    child.send({ cmd: 'start', port, ...profile });
    await started;
    return load;
  }

  /** Resolves true once `count` responses in a row were successful and from `version`. */
  async awaitVersion(version: string, count = 50, timeoutMs = 30_000): Promise<boolean> {
    const id = this.nextId++;
    const answer = this.next(`awaited:${id}`);
    this.child.send({ cmd: 'await', id, version, count, timeoutMs });
    return Boolean((await answer).ok);
  }

  async stop(): Promise<Sample[]> {
    const file = path.join(tempRoot, `samples-${process.hrtime.bigint()}.json`);
    const stopped = this.next('stopped');
    this.child.send({ cmd: 'stop', file });
    await stopped;
    const samples = JSON.parse(await readFile(file, 'utf8')) as Sample[];
    await rm(file, { force: true });
    return samples;
  }
}

// ---------------------------------------------------------------------------------------------
// Small network helpers (127.0.0.1 only).

/** A port the kernel says is free on 127.0.0.1 right now (as test/support/stack.ts does). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function getOnce(
  port: number,
  urlPath: string,
  timeoutMs = 500,
): Promise<{ status: number; version: string | null } | null> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, version: (response.headers['x-version'] as string) ?? null }),
        );
        response.on('error', () => resolve(null));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

async function waitServing(port: number, version: string, timeoutMs = 30_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const answer = await getOnce(port, '/');
    if (answer?.status === 200 && answer.version === version) return;
    await sleep(50);
  }
  throw new Error(`127.0.0.1:${port} did not serve ${version} within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Images: the test base image (node on scratch + the fixture app), two versions with a 1.5 s start.

async function buildImages(): Promise<void> {
  await buildTestImages();
  for (const version of VERSIONS) {
    const dir = await mkdtemp(path.join(tempRoot, 'img-'));
    await writeFile(
      path.join(dir, 'Dockerfile'),
      [`FROM ${imageRef('base')}`, `ENV APP_VERSION=${version}`, 'ENV START_DELAY_MS=1500', ''].join('\n'),
    );
    await execa('docker', ['build', '-q', '-t', IMAGE[version], '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '0' } });
  }
}

/** `docker run` of the new version until its /health answers 200 (polled every 10 ms). */
async function startToHealthy(
  label: string,
  firstIndex: number,
): Promise<Array<{ totalMs: number; dockerRunMs: number }>> {
  const results: Array<{ totalMs: number; dockerRunMs: number }> = [];
  for (let i = 1; i <= REPS; i++) {
    const name = `${PROBE_PREFIX}${firstIndex + i}`;
    const port = await freePort();
    const t0 = now();
    await execa('docker', ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8080`, IMAGE['bench-v2']]);
    const tRun = now();
    const deadline = t0 + 30_000;
    let healthyAt: number | null = null;
    while (now() < deadline) {
      const answer = await getOnce(port, '/health', 200);
      if (answer?.status === 200) {
        healthyAt = now();
        break;
      }
      await sleep(10);
    }
    await removeContainers([name]);
    if (healthyAt === null) throw new Error(`${name} never answered /health`);
    results.push({ totalMs: healthyAt - t0, dockerRunMs: tRun - t0 });
    say(
      `start-to-healthy (${label}) #${i}: ${(healthyAt - t0).toFixed(0)} ms (docker run returned after ${(tRun - t0).toFixed(0)} ms)`,
    );
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// HAProxy for the baselines: linkswitch's template through linkswitch's renderer (baseline-haproxy.ts).

async function baselineHaproxy(
  name: string,
  bindPort: number,
  servers: Array<{ colour: 'blue' | 'green'; port: number }>,
) {
  const haproxy = await startBaselineHaproxy({
    dir: path.join(tempRoot, `haproxy-${name}`),
    bindPort,
    servers,
    check: CHECK,
    retries: RETRIES,
    templateDir: TEMPLATES,
  });
  onCleanup(`stop baseline HAProxy (${name})`, () => haproxy.stop());
  return haproxy;
}

// ---------------------------------------------------------------------------------------------
// One measured run: load on, wait, deploy, wait until the new version serves alone, wait, load off.

async function measuredRun(
  port: number,
  oldVersion: Version | null,
  newVersion: Version | null,
  act: () => Promise<{ times: RunTimes; rssKb: number | null; extra?: Record<string, unknown> }>,
  profile: LoadProfile = LOAD,
): Promise<{ record: Omit<RunRecord, 'rep'>; samples: Sample[] }> {
  const load = await Load.start(port, profile);
  try {
    await sleep(PRE_MS);
    const cpuBefore = await cpuTicks();
    const { times, rssKb, extra = {} } = await act();
    const cpuAfter = await cpuTicks();
    extra.cpuBusyPct = cpuBusy(cpuBefore, cpuAfter);
    if (newVersion) {
      const ok = await load.awaitVersion(newVersion, 50, 30_000);
      if (!ok) say(`warning: ${newVersion} did not serve 50 requests in a row within 30 s`);
    }
    await sleep(POST_MS);
    const samples = await load.stop();
    const metrics = analyse(samples, times, oldVersion, newVersion);
    const wallEnd = times.start + metrics.wallMs;
    const answered = samples.filter((s) => s[0] >= times.start && s[0] <= wallEnd && !isFailure(s)).length;
    extra.servedPerS = metrics.wallMs > 0 ? answered / (metrics.wallMs / 1000) : null;
    return { record: { oldVersion, newVersion, times, metrics, rssKb, extra }, samples };
  } catch (error) {
    await load.stop().catch(() => undefined);
    throw error;
  }
}

/** /proc/stat's aggregate cpu line: [busy, total] ticks. */
async function cpuTicks(): Promise<[number, number]> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return [total - idle, total];
}
const cpuBusy = (a: [number, number], b: [number, number]) =>
  b[1] > a[1] ? Math.round((100 * (b[0] - a[0])) / (b[1] - a[1])) : null;

interface Collected {
  scenario: Scenario;
  samples: Sample[][];
}

function summaryLine(m: RunMetrics): string {
  return `failed ${m.failed}, wall ${m.wallMs.toFixed(0)} ms, both ${m.bothMs.toFixed(0)} ms, switch latency ${m.switchLatencyMs?.toFixed(1) ?? 'n/a'} ms, p99 ${m.p99Ms.toFixed(1)} ms, ${m.requests} requests`;
}

// 1. In-place recreate with docker-compose (or docker rm -f + docker run as a fallback).
async function scenarioRecreate(profile: LoadProfile = LOAD, reps = REPS): Promise<Collected> {
  const saturated = profile !== LOAD;
  const dir = path.join(tempRoot, saturated ? 'compose-saturated' : 'compose');
  await mkdir(dir, { recursive: true });
  const appPort = await freePort();
  const haproxyPort = await freePort();
  const composeFile = path.join(dir, 'docker-compose.yml');
  const writeCompose = (version: Version) =>
    writeFile(
      composeFile,
      stringify({
        version: '2.4',
        services: {
          app: {
            image: IMAGE[version],
            container_name: COMPOSE_CONTAINER,
            network_mode: 'bridge',
            ports: [`127.0.0.1:${appPort}:8080`],
          },
        },
      }),
    );
  const fallbackScript = path.join(dir, 'recreate.sh');
  const writeFallback = (version: Version) =>
    writeFile(
      fallbackScript,
      `#!/bin/bash\nset -eu\ndocker rm -f ${COMPOSE_CONTAINER} >/dev/null 2>&1 || true\ndocker run -d --name ${COMPOSE_CONTAINER} -p 127.0.0.1:${appPort}:8080 ${IMAGE[version]} >/dev/null\n`,
    );
  let useCompose = tools.compose.usable;
  let note = useCompose
    ? `docker-compose ${tools.compose.version}${tools.compose.note ? ` (${tools.compose.note})` : ''}`
    : `FALLBACK: ${tools.compose.note}; used \`docker rm -f\` + \`docker run\` with the same published port instead`;
  const composeArgs = ['-p', COMPOSE_PROJECT, '-f', composeFile];
  onCleanup('docker-compose down', async () => {
    if (existsSync(composeFile) && tools.compose.usable)
      await execa('docker-compose', [...composeArgs, 'down', '-t', '2'], { reject: false, timeout: 60_000 });
    await removeContainers([COMPOSE_CONTAINER]);
  });
  const haproxy = await baselineHaproxy(saturated ? 'recreate-saturated' : 'recreate', haproxyPort, [
    { colour: 'blue', port: appPort },
  ]);

  let current: Version = 'bench-v1';
  if (useCompose) {
    await writeCompose(current);
    const up = await execa('docker-compose', [...composeArgs, 'up', '-d'], {
      reject: false,
      all: true,
      timeout: 120_000,
    });
    if (up.exitCode !== 0) {
      useCompose = false;
      note = `FALLBACK: docker-compose ${tools.compose.version} failed (${String(up.all).trim().split('\n').pop()}); used \`docker rm -f\` + \`docker run\` with the same published port instead`;
      await removeContainers([COMPOSE_CONTAINER]);
    }
  }
  if (!useCompose) {
    await writeFallback(current);
    await execa('bash', [fallbackScript]);
  }
  say(`recreate: ${note}`);
  await waitServing(haproxyPort, current);

  const runs: RunRecord[] = [];
  const samples: Sample[][] = [];
  for (let rep = 1; rep <= reps; rep++) {
    const next = other(current);
    const { record, samples: s } = await measuredRun(
      haproxyPort,
      current,
      next,
      async () => {
        // "Change the tag" in the file, then the command people run.
        if (useCompose) await writeCompose(next);
        else await writeFallback(next);
        const r = useCompose
          ? await measured('docker-compose', [...composeArgs, 'up', '-d'])
          : await measured('bash', [fallbackScript]);
        if (r.exitCode !== 0) throw new Error(`recreate failed: ${r.stderr.trim()}`);
        return { times: { start: r.start, decision: r.start, commandEnd: r.end }, rssKb: r.rssKb };
      },
      profile,
    );
    runs.push({ rep, ...record });
    samples.push(s);
    say(
      `recreate${saturated ? ' (saturating load)' : ''} #${rep} ${current} → ${next}: ${summaryLine(record.metrics)}`,
    );
    current = next;
  }
  await haproxy.stop();
  if (useCompose)
    await execa('docker-compose', [...composeArgs, 'down', '-t', '2'], { reject: false, timeout: 60_000 });
  await removeContainers([COMPOSE_CONTAINER]);
  const suffix = saturated ? ', saturating load' : '';
  return {
    scenario: {
      key: saturated ? 'recreate-saturated' : 'recreate',
      title: useCompose
        ? `1. In-place recreate (\`docker-compose up -d\`${suffix})`
        : `1. In-place recreate (fallback: \`docker rm -f\` + \`docker run\`${suffix})`,
      short: `${useCompose ? 'recreate (compose)' : 'recreate (rm+run)'}${saturated ? ' saturated' : ''}`,
      note,
      runs,
    },
    samples,
  };
}

// 2. The blog recipe: both colours in the backend, start new / sleep 5 / stop old.
async function scenarioBlog(): Promise<Collected> {
  const dir = path.join(tempRoot, 'blog');
  await mkdir(dir, { recursive: true });
  const ports = { blue: await freePort(), green: await freePort() };
  const haproxyPort = await freePort();
  const script = path.join(dir, 'deploy.sh');
  // The recipe as a shell script; it prints epoch-ms markers for the bench.
  await writeFile(
    script,
    [
      '#!/bin/bash',
      '# usage: deploy.sh NEW_NAME NEW_PORT IMAGE OLD_NAME',
      'set -eu',
      'docker run -d --name "$1" -p "127.0.0.1:$2:8080" "$3" >/dev/null',
      'sleep 5',
      'echo "stop $(date +%s%3N)"',
      'docker stop "$4" >/dev/null',
      'docker rm "$4" >/dev/null',
      '',
    ].join('\n'),
  );
  onCleanup('remove blog-recipe containers', () => removeContainers([BLOG.blue, BLOG.green]));
  const haproxy = await baselineHaproxy('blog', haproxyPort, [
    { colour: 'blue', port: ports.blue },
    { colour: 'green', port: ports.green },
  ]);
  let colour: 'blue' | 'green' = 'blue';
  let current: Version = 'bench-v1';
  await execa('docker', ['run', '-d', '--name', BLOG[colour], '-p', `127.0.0.1:${ports[colour]}:8080`, IMAGE[current]]);
  await waitServing(haproxyPort, current);
  await sleep(500); // let HAProxy mark the empty colour DOWN, as it is before every deploy
  const runs: RunRecord[] = [];
  const samples: Sample[][] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    const nextColour: 'blue' | 'green' = colour === 'blue' ? 'green' : 'blue';
    const next = other(current);
    const { record, samples: s } = await measuredRun(haproxyPort, current, next, async () => {
      const r = await measured('bash', [
        script,
        BLOG[nextColour],
        String(ports[nextColour]),
        IMAGE[next],
        BLOG[colour],
      ]);
      if (r.exitCode !== 0) throw new Error(`blog recipe failed: ${r.stderr.trim()}`);
      const stopAt = Number(/stop (\d+)/.exec(r.stdout)?.[1]);
      return {
        times: { start: r.start, decision: Number.isFinite(stopAt) ? stopAt : null, commandEnd: r.end },
        rssKb: r.rssKb,
      };
    });
    runs.push({ rep, ...record });
    samples.push(s);
    say(`blog recipe #${rep} ${current} → ${next}: ${summaryLine(record.metrics)}`);
    colour = nextColour;
    current = next;
  }
  await haproxy.stop();
  await removeContainers([BLOG.blue, BLOG.green]);
  return {
    scenario: {
      key: 'blog',
      title: '2. Blog recipe (both colours, check + redispatch + retries; start new, sleep 5, stop old)',
      short: 'blog recipe',
      note: '',
      runs,
    },
    samples,
  };
}

// 3 and 4. linkswitch: the real CLI for deploy and rollback, the adapter's reload() for reloads.
async function scenarioLinkswitch(): Promise<{
  deploy: Collected;
  rollback: Collected;
  reloads: Collected;
  deploySaturated: Collected;
  healthyUnderLoad: Array<{ totalMs: number; dockerRunMs: number }>;
  /** The stack stays up for the fast-path scenarios (bench/fast-paths.ts), linked to bench-v1. */
  stack: { env: Record<string, string>; port: number; runDir: string };
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const configFile = path.join(dir, 'linkswitch.yml');
  await writeFile(
    configFile,
    stringify({
      service: { name: LS_SERVICE, image: IMAGE['bench-v1'], port: 8080 },
      health: { interval: '100ms', timeout: '30s' },
      haproxy: benchHaproxy(port, TEMPLATES, CHECK, { retries: RETRIES }),
      state: { file: 'run/state.json' },
    }),
  );
  const env = { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' };
  onCleanup('linkswitch down', async () => {
    await execa('node', [CLI, '--lock-wait', '30s', 'down'], { reject: false, env, timeout: 60_000 });
    // Belt and braces: its HAProxy by pid file (only if it is still that haproxy), its containers.
    const pidFile = path.join(dir, 'run', 'haproxy.pid');
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (
      Number.isInteger(pid) &&
      pid > 1 &&
      (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(dir)
    )
      process.kill(pid, 'SIGTERM');
    await removeContainers([`${LS_SERVICE}-blue`, `${LS_SERVICE}-green`]);
  });
  const up = await execa('node', [CLI, 'up'], { reject: false, all: true, env, timeout: 120_000 });
  if (up.exitCode !== 0) throw new Error(`linkswitch up failed:\n${up.all}`);
  await waitServing(port, 'bench-v1');

  // The new container's own start-to-healthy time under the same load (served by the linkswitch
  // stack, no deploy running): what a deploy under load cannot beat.
  const probeLoad = await Load.start(port);
  let healthyUnderLoad: Array<{ totalMs: number; dockerRunMs: number }>;
  try {
    await sleep(PRE_MS);
    healthyUnderLoad = await startToHealthy('under load', 15);
  } finally {
    await probeLoad.stop();
  }

  const cli = async (args: string[]) => {
    const r = await measured('node', [CLI, ...args, '--json'], { env });
    if (r.exitCode !== 0)
      throw new Error(`linkswitch ${args.join(' ')} failed (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
    const summary = JSON.parse(r.stdout) as { switchMs: number | null; durationMs: number; linked: string };
    const logs = parseLogs(r.stderr);
    const switchLine = logs.find((l) => l.phase === 'switch');
    const switchedLine = logs.find((l) => l.phase === 'switched');
    return {
      times: { start: r.start, decision: switchLine?.time ?? null, commandEnd: r.end },
      rssKb: r.rssKb,
      extra: {
        cpuMs: r.cpuMs,
        majorFaults: r.majorFaults,
        switchMs: summary.switchMs,
        durationMs: summary.durationMs,
        linked: summary.linked,
        spawnToSwitchMs: switchedLine ? switchedLine.time - r.start : null,
        phases: phaseDurations(r.start, r.end, logs, 'startup (node, config, lock, observe)'),
        warnings: logs.filter((l) => (l.level ?? 30) >= 40).map((l) => l.msg),
      },
    };
  };

  const deployRuns: RunRecord[] = [];
  const rollbackRuns: RunRecord[] = [];
  const deploySamples: Sample[][] = [];
  const rollbackSamples: Sample[][] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    const d = await measuredRun(port, 'bench-v1', 'bench-v2', () => cli(['deploy', '--image', IMAGE['bench-v2']]));
    deployRuns.push({ rep, ...d.record });
    deploySamples.push(d.samples);
    say(
      `linkswitch deploy #${rep}: ${summaryLine(d.record.metrics)}, CLI durationMs ${String(d.record.extra.durationMs)}, CPU ${String(d.record.extra.cpuMs)} ms, switchMs ${String(d.record.extra.switchMs)}`,
    );
    const r = await measuredRun(port, 'bench-v2', 'bench-v1', () => cli(['rollback']));
    rollbackRuns.push({ rep, ...r.record });
    rollbackSamples.push(r.samples);
    say(
      `linkswitch rollback #${rep}: ${summaryLine(r.record.metrics)}, CLI durationMs ${String(r.record.extra.durationMs)}, CPU ${String(r.record.extra.cpuMs)} ms, switchMs ${String(r.record.extra.switchMs)}`,
    );
  }

  // 100 reloads, back to back, through Haproxy.reload() (compiled adapter) under the same load.
  const reload = await measuredRun(port, null, null, async () => {
    const r = await measured('node', [path.join(BENCH, 'reload-worker.mjs'), configFile, String(RELOADS)], {
      timeoutMs: 240_000,
    });
    if (r.exitCode !== 0) throw new Error(`reload worker failed (exit ${r.exitCode}):\n${r.stderr}`);
    const results = JSON.parse(r.stdout) as Array<{ startedAt: number; endedAt: number; error: string | null }>;
    const durations = results.map((x) => x.endedAt - x.startedAt);
    return {
      times: { start: r.start, decision: null, commandEnd: r.end },
      rssKb: r.rssKb,
      extra: {
        reloads: results.length,
        reloadErrors: results.filter((x) => x.error).length,
        firstReloadError: results.find((x) => x.error)?.error ?? null,
        reloadMedianMs: median(durations),
        reloadMaxMs: Math.max(...durations),
        reloadStarts: results.map((x) => x.startedAt),
      },
    };
  });
  say(
    `${RELOADS} reloads: ${summaryLine(reload.record.metrics)}, reload median ${Number(reload.record.extra.reloadMedianMs).toFixed(0)} ms, errors ${String(reload.record.extra.reloadErrors)}`,
  );

  // Deploys under the saturating load (compose's recreate gets the same), back and forth: an
  // even count, so bench-v1 is linked again afterwards.
  const saturatedRuns: RunRecord[] = [];
  const saturatedSamples: Sample[][] = [];
  for (let rep = 1; rep <= 2 * Math.ceil(SAT_REPS / 2); rep++) {
    const [from, to] = rep % 2 === 1 ? (['bench-v1', 'bench-v2'] as const) : (['bench-v2', 'bench-v1'] as const);
    const d = await measuredRun(port, from, to, () => cli(['deploy', '--image', IMAGE[to]]), SATURATING);
    saturatedRuns.push({ rep, ...d.record });
    saturatedSamples.push(d.samples);
    say(`linkswitch deploy (saturating load) #${rep}: ${summaryLine(d.record.metrics)}`);
  }

  return {
    healthyUnderLoad,
    stack: { env, port, runDir: path.join(dir, 'run') },
    deploySaturated: {
      scenario: {
        key: 'ls-deploy-saturated',
        title: '3c. `linkswitch deploy`, saturating load',
        short: 'linkswitch deploy saturated',
        note: '',
        runs: saturatedRuns,
      },
      samples: saturatedSamples,
    },
    deploy: {
      scenario: {
        key: 'ls-deploy',
        title: '3a. `linkswitch deploy`',
        short: 'linkswitch deploy',
        note: '',
        runs: deployRuns,
      },
      samples: deploySamples,
    },
    rollback: {
      scenario: {
        key: 'ls-rollback',
        title: '3b. `linkswitch rollback`',
        short: 'linkswitch rollback',
        note: '',
        runs: rollbackRuns,
      },
      samples: rollbackSamples,
    },
    reloads: {
      scenario: {
        key: 'reloads',
        title: `4. ${RELOADS} HAProxy reloads via linkswitch's \`Haproxy.reload()\``,
        short: `${RELOADS} reloads`,
        note: '',
        runs: [{ rep: 1, ...reload.record }],
      },
      samples: [reload.samples],
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function gitDescribe(): Promise<string> {
  const head = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false });
  if (head.exitCode !== 0) return 'unknown (not a git checkout)';
  const dirty = await execa('git', ['status', '--porcelain', '--', 'src', 'templates'], { cwd: ROOT, reject: false });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? ' + uncommitted changes in src/ or templates/' : ''}`;
}

async function machineInfo(): Promise<BenchData['machine']> {
  const text = async (file: string, args: string[]) => (await execa(file, args, { reject: false })).stdout.trim();
  return {
    date: new Date().toISOString(),
    nproc: Number(await text('nproc', [])),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    kernel: os.release(),
    haproxy: (await text('haproxy', ['-v'])).split('\n')[0] ?? '',
    dockerServer: await text('docker', ['version', '--format', '{{.Server.Version}}']),
    dockerClient: await text('docker', ['version', '--format', '{{.Client.Version}}']),
    compose: tools.compose.version,
    node: process.version,
    git: await gitDescribe(),
  };
}

/** The run whose wall time is the median: the one drawn in the timeline. */
function representative(runs: RunRecord[]): number {
  const order = runs.map((r, i) => [r.metrics.wallMs, i] as const).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)]![1];
}

function timelineRow(c: Collected, subtitleExtra = ''): TimelineRow {
  const i = representative(c.scenario.runs);
  const run = c.scenario.runs[i]!;
  const samples = c.samples[i]!;
  const origin = run.times.start;
  const lastEnd = Math.max(...samples.map((s) => s[1]));
  const fromMs = -PRE_MS + 100;
  const bins = timeline(samples, origin, fromMs, lastEnd - origin, run.oldVersion, run.newVersion);
  const markers: TimelineRow['markers'] = [];
  if (run.times.decision !== null) markers.push({ atMs: run.times.decision - origin, kind: 'switch' });
  markers.push({ atMs: run.times.commandEnd - origin, kind: 'exit' });
  markers.push({ atMs: run.metrics.doneAt - origin, kind: 'done' });
  for (const t of (run.extra.reloadStarts as number[] | undefined) ?? [])
    markers.push({ atMs: t - origin, kind: 'tick' });
  const m = run.metrics;
  const versions = run.oldVersion ? `${run.oldVersion} → ${run.newVersion}` : 'one version';
  return {
    title: c.scenario.short,
    subtitle: `${run.oldVersion === null ? '(own time scale) ' : ''}run ${run.rep} of ${c.scenario.runs.length} (median wall time), ${versions}: ${m.failed} failed, wall ${(m.wallMs / 1000).toFixed(2)} s, both versions ${m.bothMs.toFixed(0)} ms${subtitleExtra}`,
    bins,
    fromMs,
    binMs: 100,
    markers,
    ownScale: run.oldVersion === null,
  };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    say(`watchdog: still running after ${WATCHDOG_MS / 60_000} min; cleaning up and giving up`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  tempRoot = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-benchrun-'));
  onCleanup(`remove ${tempRoot}`, () => rm(tempRoot, { recursive: true, force: true }));
  onCleanup('remove bench containers', () => removeContainers(CONTAINERS));

  tools = await ensureTools();
  say(
    `tools: docker-compose ${tools.compose.usable ? tools.compose.version : 'unavailable'}, /usr/bin/time ${tools.time ? 'yes' : 'no (VmHWM polling)'}`,
  );
  await removeContainers(CONTAINERS); // leftovers of an interrupted earlier run
  const setupStart = now();
  await buildImages();
  say(`images built (${((now() - setupStart) / 1000).toFixed(1)} s)`);
  const machine = await machineInfo();

  // Is anything else busy on this machine? The figures assume the bench has it to itself.
  // If it is busy, wait up to a minute for it to calm down, then go on and say so in results.md.
  let backgroundBusyPct: number | null = null;
  for (let waited = 0; ; waited += 2) {
    const idleBefore = await cpuTicks();
    await sleep(2000);
    backgroundBusyPct = cpuBusy(idleBefore, await cpuTicks());
    if ((backgroundBusyPct ?? 0) <= 15 || waited >= (SMOKE ? 0 : 60)) break;
    if (waited === 0)
      say(`machine CPU ${backgroundBusyPct} % busy before the bench: waiting up to 60 s for it to be idle`);
  }
  say(`machine CPU busy before the bench: ${backgroundBusyPct} %`);
  if ((backgroundBusyPct ?? 0) > 15) say('warning: the machine is not idle; other processes will distort the timings');
  const healthy = await startToHealthy('idle', 0);
  // The floor of any CLI command: Node loading linkswitch's modules, nothing else (idle machine).
  const cliFloor: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = now();
    await execa('node', [CLI, '--version']);
    cliFloor.push(now() - t);
  }
  say(`CLI start-up floor (node dist/bundle/bin.cjs --version): ${cliFloor.map((x) => x.toFixed(0)).join(', ')} ms`);
  const recreate = await scenarioRecreate();
  const blog = await scenarioBlog();
  const recreateSaturated = await scenarioRecreate(SATURATING, SAT_REPS);
  const ls = await scenarioLinkswitch();
  const fastDeps: FastPathDeps = {
    cli: CLI,
    env: ls.stack.env,
    port: ls.stack.port,
    runDir: ls.stack.runDir,
    backend: `be_${LS_SERVICE}`,
    images: [IMAGE['bench-v1'], IMAGE['bench-v2']],
    reps: REPS,
    startLoad: (port, saturating) => Load.start(port, saturating ? SATURATING : LOAD),
    onCleanup,
    log: path.join(tempRoot, 'sidecar.log'),
    say,
  };
  const fast = await scenarioFastPaths(fastDeps);
  // The machine's own Node (Debian's /usr/bin/node), the one running the bench, and the supported
  // one the sidecar image ships: the cost of the Node change, measured in this run. Its own log:
  // the sidecar path reads its deploys' steps from sidecar.log.
  const runtimes = await scenarioRuntimes(
    { ...fastDeps, log: path.join(tempRoot, 'sidecar-runtimes.log') },
    await findRuntimes(['/usr/bin/node', process.execPath, ensureNodeRuntime()]),
  );
  const neighbours = await scenarioNeighbours({
    cli: CLI,
    templates: TEMPLATES,
    images: [IMAGE['bench-v1'], IMAGE['bench-v2']],
    reps: REPS,
    check: CHECK,
    freePort,
    startLoad: (port) => Load.start(port),
    onCleanup,
    say,
  });
  const reloadFree = await scenarioReloadFree({
    cli: CLI,
    templates: TEMPLATES,
    images: [IMAGE['bench-v1'], IMAGE['bench-v2']],
    deploys: SMOKE ? 2 : 20,
    check: CHECK,
    freePort,
    onCleanup,
    say,
  });
  const dockerProxy = await scenarioDockerProxy({
    cli: CLI,
    templates: TEMPLATES,
    images: [IMAGE['bench-v1'], IMAGE['bench-v2']],
    calls: SMOKE ? 50 : 300,
    deploys: SMOKE ? 2 : 6,
    check: CHECK,
    freePort,
    onCleanup,
    say,
  });
  const acme = await scenarioAcme({
    cli: CLI,
    templates: TEMPLATES,
    image: IMAGE['bench-v1'],
    renewals: SMOKE ? 2 : 10,
    check: CHECK,
    pebble: { pebble: await trixieTool('pebble'), challtestsrv: await trixieTool('challtestsrv') },
    freePort,
    onCleanup,
    say,
  });
  const scale = await scaleBench({
    dir: path.join(tempRoot, 'scale'),
    counts: SMOKE ? [1, 20] : [1, 20, 200],
    reps: REPS,
    templateDir: TEMPLATES,
    freePort,
    say,
  });
  await cleanup();
  clearTimeout(watchdog);
  const idleAfter = await cpuTicks();
  await sleep(2000);
  const backgroundBusyAfterPct = cpuBusy(idleAfter, await cpuTicks());
  say(`machine CPU busy after the bench (everything stopped): ${backgroundBusyAfterPct} %`);

  const collected = [recreate, blog, ls.deploy, ls.rollback, ls.reloads, recreateSaturated, ls.deploySaturated];
  // Optional: keep every run's raw samples for a closer look (BENCH_SAMPLES_DIR=/some/dir).
  const samplesDir = process.env.BENCH_SAMPLES_DIR;
  if (samplesDir) {
    await mkdir(samplesDir, { recursive: true });
    for (const c of collected) {
      for (const [i, run] of c.scenario.runs.entries()) {
        await writeFile(
          path.join(samplesDir, `${c.scenario.key}-${run.rep}.json`),
          JSON.stringify({ times: run.times, extra: run.extra, samples: c.samples[i] }),
        );
      }
    }
  }
  const data: BenchData = {
    machine,
    reps: REPS,
    reloads: RELOADS,
    load: LOAD,
    preMs: PRE_MS,
    postMs: POST_MS,
    check: CHECK,
    retries: RETRIES,
    startToHealthy: healthy,
    startToHealthyUnderLoad: ls.healthyUnderLoad,
    cliFloorMs: cliFloor,
    backgroundBusyPct,
    backgroundBusyAfterPct,
    scenarios: collected.map((c) => c.scenario),
    runtimeS: (now() - benchStart) / 1000,
  };
  const svg = timelineSvg(
    'linkswitch bench: responses per 100 ms during one deploy of each kind',
    collected.map((c) => timelineRow(c)),
  );
  await mkdir(OUT, { recursive: true });
  await writeFile(path.join(OUT, 'timeline.svg'), svg);
  const fastSection = renderFastPaths({
    fast,
    recreate: recreate.scenario,
    deploy: ls.deploy.scenario,
    rollback: ls.rollback.scenario,
    recreateSaturated: recreateSaturated.scenario,
    deploySaturated: ls.deploySaturated.scenario,
    healthyUnderLoadMs: median(ls.healthyUnderLoad.map((h) => h.totalMs)),
    pacedLoad: `${LOAD.connections} keep-alive connections × ${LOAD.ratePerConn} req/s`,
  });
  const markdown = `${renderMarkdown(data)}\n${fastSection}\n${renderReloadFree(reloadFree)}\n${renderDockerProxy(dockerProxy)}\n${renderAcme(acme)}\n${renderRuntimes(runtimes)}\n${renderScale(scale, REPS)}\n${renderNeighbours(neighbours)}`;
  await writeFile(path.join(OUT, 'results.md'), markdown);
  const { scenarios, ...rest } = data;
  await writeFile(
    path.join(OUT, 'results.json'),
    `${JSON.stringify({ ...rest, fast, reloadFree, dockerProxy, acme, runtimes, scale, neighbours, scenarios: scenarios.map((s) => ({ ...s, runs: s.runs.map((r) => ({ ...r, extra: { ...r.extra, reloadStarts: undefined } })) })) }, null, 2)}\n`,
  );
  process.stdout.write(markdown);
  const where = path.relative(ROOT, OUT);
  say(
    `wrote ${where}/results.md, results.json, timeline.svg; total ${data.runtimeS.toFixed(0)} s${SMOKE ? ' (smoke)' : ''}`,
  );
}

async function fail(error: unknown): Promise<never> {
  say(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup();
  process.exit(1);
}

// An error outside main's promise chain (e.g. an 'error' event of a load client that died) must
// still stop what the bench started: a crashed run once left its baseline HAProxy running.
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));
main().catch(fail);
