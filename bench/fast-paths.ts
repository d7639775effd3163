import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { isFailure, median, parseLogs, phaseDurations, quantile, type Sample } from './metrics.js';

// The hot paths of issue 11, on the linkswitch stack the main scenarios leave running (one
// version linked, the other warm):
//   - start-up: `node -e 0` (the floor), `linkswitch --version` and `linkswitch status`,
//     interleaved, on the idle machine;
//   - rollback on the idle machine: CLI wall time and spawn → weights flipped, each beside the
//     floor under it: rollback-floor.mjs, a dependency-free script doing the same I/O;
//   - the sidecar path: `linkswitch serve` (as the image runs it: --lite-mode, 1 MB young
//     generation) answering rollback and deploy on its control socket under the bench load,
//     timed end to end by the client, and the sidecar's resident memory idle and at its peak,
//     beside a bare `node` with the same flags (the floor under any Node sidecar);
//   - the CLI delegating a rollback to that sidecar.

export interface FastPathDeps {
  cli: string;
  env: Record<string, string>;
  port: number;
  /** The stack's run directory: control.sock appears there while the sidecar runs. */
  runDir: string;
  /** The stack's HAProxy backend (rollback-floor.mjs sends its weight commands there). */
  backend: string;
  images: [string, string];
  reps: number;
  startLoad(port: number, saturating?: boolean): Promise<{ stop(): Promise<Sample[]> }>;
  onCleanup(what: string, fn: () => Promise<unknown>): void;
  log: string;
  say(message: string): void;
}

export interface FastPathResult {
  startup: { floorMs: number[]; versionMs: number[]; statusMs: number[]; statusUncachedMs: number[] };
  idleRollback: {
    wallMs: number[];
    spawnToSwitchMs: number[];
    /** rollback-floor.mjs, run just before each rollback: the same I/O with nothing loaded. */
    floorWallMs: number[];
    floorSpawnToSwitchMs: number[];
  };
  sidecar: {
    /** The first rollback after the sidecar started (it loads what a rollback needs), and its pair. */
    firstRollbackMs: number | null;
    rollbackMs: number[];
    /** What the sidecar itself measured for the same rollbacks (CommandResult.durationMs). */
    rollbackInsideMs: number[];
    deployMs: number[];
    /** Per paced deploy, its steps from the sidecar's log: request → first step, step → next, last → answer. */
    deployPhases: Array<Array<[string, number]>>;
    delegatedRollbackMs: number[];
    /** Deploys through the control API under the saturating load. */
    saturatedDeployMs: number[];
    saturatedFailed: number;
    saturatedRequests: number;
    failed: number;
    requests: number;
    p99Ms: number;
    rssIdleKb: number | null;
    rssPeakKb: number | null;
    rssAfterKb: number | null;
    /** A bare `node` with the sidecar's flags, idle (the floor under any Node sidecar). */
    bareNodeRssKb: number | null;
  };
}

const now = () => performance.timeOrigin + performance.now();

export async function timeCommand(file: string, args: string[], env: Record<string, string>): Promise<number> {
  const start = now();
  const r = await execa(file, args, { env, reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
  return now() - start;
}

/** One request on a unix socket; the answer's JSON and the end-to-end time. */
export function sidecarControl(
  socketPath: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const start = now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath,
        method,
        path: route,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        timeout: 120_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const ms = now() - start;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown>, ms });
          } catch {
            reject(new Error(`${method} ${route}: not JSON (${response.statusCode}): ${text.slice(0, 200)}`));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${route}: timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}

export async function rss(pid: number | undefined): Promise<{ rss: number | null; hwm: number | null }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (key: string) => {
    const v = Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function startup(deps: FastPathDeps): Promise<FastPathResult['startup']> {
  const result: FastPathResult['startup'] = { floorMs: [], versionMs: [], statusMs: [], statusUncachedMs: [] };
  // Interleaved rounds: a machine hiccup hits all alike. The first round warms the page cache and
  // writes the compile caches; `status` without its cache is the baseline of that cache.
  for (let round = 0; round <= 15; round++) {
    const floor = await timeCommand('node', ['-e', '0'], deps.env);
    const version = await timeCommand('node', [deps.cli, '--version'], deps.env);
    const status = await timeCommand('node', [deps.cli, 'status'], deps.env);
    const uncached = await timeCommand('node', [deps.cli, 'status'], { ...deps.env, LINKSWITCH_COMPILE_CACHE: 'off' });
    if (round === 0) continue;
    result.floorMs.push(floor);
    result.versionMs.push(version);
    result.statusMs.push(status);
    result.statusUncachedMs.push(uncached);
  }
  return result;
}

/** The epoch ms of the first `"phase":"switched"` JSON line in a command's output. */
function switchedAt(output: string): number | null {
  for (const line of output.split('\n')) {
    try {
      const parsed = JSON.parse(line) as { phase?: string; time?: number };
      if (parsed.phase === 'switched' && typeof parsed.time === 'number') return parsed.time;
    } catch {
      // Not a JSON line.
    }
  }
  return null;
}

/** One timed run: wall time and spawn → the switched line (in stdout or stderr). */
export async function timedSwitch(file: string, args: string[], env: Record<string, string>) {
  const start = now();
  const r = await execa(file, args, { env, reject: false, timeout: 60_000 });
  const end = now();
  if (r.exitCode !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
  const switched = switchedAt(`${r.stdout}\n${r.stderr}`);
  return { wallMs: end - start, spawnToSwitchMs: switched === null ? null : switched - start };
}

async function idleRollbacks(deps: FastPathDeps): Promise<FastPathResult['idleRollback']> {
  const result: FastPathResult['idleRollback'] = {
    wallMs: [],
    spawnToSwitchMs: [],
    floorWallMs: [],
    floorSpawnToSwitchMs: [],
  };
  const floorScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rollback-floor.mjs');
  // An even number: the stack ends with the colour it started with.
  for (let i = 0; i < 2 * Math.max(1, Math.ceil(deps.reps / 2)); i++) {
    // The floor first, so both see the same moment of the machine.
    const floor = await timedSwitch('node', [floorScript, deps.runDir, deps.backend], deps.env);
    result.floorWallMs.push(floor.wallMs);
    if (floor.spawnToSwitchMs !== null) result.floorSpawnToSwitchMs.push(floor.spawnToSwitchMs);
    await sleep(100);
    const run = await timedSwitch('node', [deps.cli, 'rollback', '--json'], deps.env);
    result.wallMs.push(run.wallMs);
    if (run.spawnToSwitchMs !== null) result.spawnToSwitchMs.push(run.spawnToSwitchMs);
    await sleep(300);
  }
  return result;
}

/** VmRSS of a bare `node` with the sidecar's flags, 3 s after it started (as the sidecar is measured). */
export async function bareNodeRss(node = 'node'): Promise<number | null> {
  const child = spawn(node, ['--lite-mode', '--max-semi-space-size=1', '-e', 'setTimeout(() => {}, 10000)'], {
    stdio: 'ignore',
  });
  try {
    await sleep(3000);
    return (await rss(child.pid)).rss;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function startSidecar(
  deps: Pick<FastPathDeps, 'cli' | 'env' | 'log' | 'onCleanup'>,
  socketPath: string,
  node = 'node',
): Promise<ChildProcess> {
  const log = createWriteStream(deps.log, { flags: 'a' });
  const child = spawn(node, ['--lite-mode', '--max-semi-space-size=1', deps.cli, 'serve'], {
    env: { ...process.env, ...deps.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  deps.onCleanup('stop the bench sidecar', async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  for (let waited = 0; waited < 30_000; waited += 100) {
    if (child.exitCode !== null) throw new Error(`the sidecar exited (${child.exitCode}); see ${deps.log}`);
    const health = await sidecarControl(socketPath, 'GET', '/v1/healthz').catch(() => null);
    if (health?.status === 200 && health.json.ok === true) return child;
    await sleep(100);
  }
  throw new Error(`the sidecar did not answer on ${socketPath} within 30 s; see ${deps.log}`);
}

export async function stopSidecar(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
}

async function sidecarPath(deps: FastPathDeps): Promise<FastPathResult['sidecar']> {
  const socketPath = path.join(deps.runDir, 'control.sock');
  const child = await startSidecar(deps, socketPath);
  const result: FastPathResult['sidecar'] = {
    firstRollbackMs: null,
    rollbackMs: [],
    rollbackInsideMs: [],
    deployMs: [],
    deployPhases: [],
    delegatedRollbackMs: [],
    saturatedDeployMs: [],
    saturatedFailed: 0,
    saturatedRequests: 0,
    failed: 0,
    requests: 0,
    p99Ms: 0,
    rssIdleKb: null,
    rssPeakKb: null,
    rssAfterKb: null,
    bareNodeRssKb: await bareNodeRss(),
  };
  const deployWindows: Array<[number, number]> = [];
  try {
    // Settled: its first reconcile done, the event stream and the watchers open.
    await sleep(3000);
    result.rssIdleKb = (await rss(child.pid)).rss;
    const load = await deps.startLoad(deps.port);
    const latencies: number[] = [];
    try {
      await sleep(1000);
      const pairs = Math.max(1, Math.ceil(deps.reps / 2));
      // The first operation after the start loads the modules a rollback needs: reported apart.
      for (let i = 0; i < 2; i++) {
        const r = await sidecarControl(socketPath, 'POST', '/v1/rollback', {});
        if (r.status !== 200) throw new Error(`sidecar rollback: HTTP ${r.status}: ${JSON.stringify(r.json)}`);
        if (i === 0) result.firstRollbackMs = r.ms;
        await sleep(300);
      }
      for (let i = 0; i < 2 * pairs; i++) {
        const r = await sidecarControl(socketPath, 'POST', '/v1/rollback', {});
        if (r.status !== 200) throw new Error(`sidecar rollback: HTTP ${r.status}: ${JSON.stringify(r.json)}`);
        result.rollbackMs.push(r.ms);
        if (typeof r.json.durationMs === 'number') result.rollbackInsideMs.push(r.json.durationMs);
        await sleep(300);
      }
      for (let i = 0; i < 2 * pairs; i++) {
        const sent = Date.now();
        const r = await sidecarControl(socketPath, 'POST', '/v1/deploy', { image: deps.images[(i + 1) % 2] });
        if (r.status !== 200) throw new Error(`sidecar deploy: HTTP ${r.status}: ${JSON.stringify(r.json)}`);
        result.deployMs.push(r.ms);
        deployWindows.push([sent, Date.now()]);
        await sleep(300);
      }
      for (let i = 0; i < 2 * pairs; i++) {
        result.delegatedRollbackMs.push(await timeCommand('node', [deps.cli, 'rollback', '--json'], deps.env));
        await sleep(300);
      }
    } finally {
      const samples = await load.stop();
      result.requests = samples.length;
      result.failed = samples.filter(isFailure).length;
      for (const s of samples) if (!isFailure(s)) latencies.push(s[1] - s[0]);
      result.p99Ms = quantile(latencies, 0.99);
    }
    // The same deploys under the saturating load (compose's recreate is measured under it too).
    const saturated = await deps.startLoad(deps.port, true);
    try {
      await sleep(1000);
      for (let i = 0; i < 2; i++) {
        const r = await sidecarControl(socketPath, 'POST', '/v1/deploy', { image: deps.images[(i + 1) % 2] });
        if (r.status !== 200) throw new Error(`sidecar deploy: HTTP ${r.status}: ${JSON.stringify(r.json)}`);
        result.saturatedDeployMs.push(r.ms);
        await sleep(500);
      }
    } finally {
      const samples = await saturated.stop();
      result.saturatedRequests = samples.length;
      result.saturatedFailed = samples.filter(isFailure).length;
    }
    const after = await rss(child.pid);
    result.rssPeakKb = after.hwm;
    result.rssAfterKb = after.rss;
  } finally {
    await stopSidecar(child);
  }
  await sleep(300); // the last log lines, piped from the exited sidecar
  // The removal of an earlier deploy's renamed container runs apart from the deploy: left out.
  const lines = parseLogs(await readFile(deps.log, 'utf8')).filter((l) => l.phase !== 'remove-retired');
  for (const [sent, answered] of deployWindows) {
    const own = lines.filter((l) => l.time >= sent && l.time <= answered);
    result.deployPhases.push(phaseDurations(sent, answered, own, 'request → first step'));
  }
  deps.say(
    `sidecar: rollback ${median(result.rollbackMs).toFixed(1)} ms end to end, deploy ${median(result.deployMs).toFixed(0)} ms, ` +
      `${result.failed} failed of ${result.requests}; saturating load: deploy ${median(result.saturatedDeployMs).toFixed(0)} ms, ` +
      `${result.saturatedFailed} failed of ${result.saturatedRequests}; RSS idle ${((result.rssIdleKb ?? 0) / 1024).toFixed(1)} MiB, ` +
      `peak ${((result.rssPeakKb ?? 0) / 1024).toFixed(1)} MiB`,
  );
  return result;
}

export async function scenarioFastPaths(deps: FastPathDeps): Promise<FastPathResult> {
  const startupResult = await startup(deps);
  deps.say(
    `start-up: node -e 0 ${median(startupResult.floorMs).toFixed(0)} ms, --version ${median(startupResult.versionMs).toFixed(0)} ms, status ${median(startupResult.statusMs).toFixed(0)} ms (${median(startupResult.statusUncachedMs).toFixed(0)} ms without the compile cache)`,
  );
  const idleRollback = await idleRollbacks(deps);
  deps.say(
    `rollback on the idle machine: wall ${median(idleRollback.wallMs).toFixed(0)} ms, spawn → switched ${median(idleRollback.spawnToSwitchMs).toFixed(0)} ms ` +
      `(the same I/O with nothing loaded: ${median(idleRollback.floorWallMs).toFixed(0)} ms, ${median(idleRollback.floorSpawnToSwitchMs).toFixed(0)} ms)`,
  );
  const sidecar = await sidecarPath(deps);
  return { startup: startupResult, idleRollback, sidecar };
}
