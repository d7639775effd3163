import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import {
  bareNodeRss,
  type FastPathDeps,
  rss,
  startSidecar,
  stopSidecar,
  timeCommand,
  timedSwitch,
} from './fast-paths.js';
import { median } from './metrics.js';
import { cell } from './report.js';

// The same CLI and sidecar on each Node runtime the machine has: its own (Debian 12: Node 20,
// end of life) and the supported one the sidecar image ships (scripts/node-runtime.mjs), so the
// cost of the Node change is measured in one run. For each: start-up (floor, --version, status
// with the launcher's code cache, with Node's own module.enableCompileCache where it exists, and
// with none), rollback wall time on the idle machine, and the sidecar's resident memory idle.

export interface Runtime {
  version: string;
  node: string;
}

export interface RuntimeResult extends Runtime {
  floorMs: number[];
  versionMs: number[];
  statusMs: number[];
  statusNodeCacheMs: number[];
  statusUncachedMs: number[];
  rollbackMs: number[];
  bareRssKb: number | null;
  sidecarIdleRssKb: number | null;
}

const NODE_CACHE_LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-compile-cache.cjs');

/** The distinct Node versions among the given binaries, in order (a missing binary is skipped). */
export async function findRuntimes(candidates: string[]): Promise<Runtime[]> {
  const found: Runtime[] = [];
  for (const node of candidates) {
    const r = await execa(node, ['-v'], { reject: false });
    const version = r.exitCode === 0 ? r.stdout.trim() : '';
    if (version && !found.some((f) => f.version === version)) found.push({ version, node });
  }
  return found;
}

export async function scenarioRuntimes(deps: FastPathDeps, runtimes: Runtime[]): Promise<RuntimeResult[]> {
  const cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-ncc-'));
  const results: RuntimeResult[] = runtimes.map((r) => ({
    ...r,
    floorMs: [],
    versionMs: [],
    statusMs: [],
    statusNodeCacheMs: [],
    statusUncachedMs: [],
    rollbackMs: [],
    bareRssKb: null,
    sidecarIdleRssKb: null,
  }));
  // Interleaved rounds, runtime by runtime inside each: a machine hiccup hits all alike. Round 0
  // writes the caches and is dropped.
  for (let round = 0; round <= deps.reps + 3; round++) {
    for (const r of results) {
      const floor = await timeCommand(r.node, ['-e', '0'], deps.env);
      const version = await timeCommand(r.node, [deps.cli, '--version'], deps.env);
      const status = await timeCommand(r.node, [deps.cli, 'status'], deps.env);
      const hasNodeCache = Number(/^v(\d+)/.exec(r.version)?.[1]) >= 22;
      const nodeCache = hasNodeCache
        ? await timeCommand(r.node, [NODE_CACHE_LAUNCHER, path.join(cacheRoot, r.version), 'status'], deps.env)
        : null;
      const env = { ...deps.env, LINKSWITCH_COMPILE_CACHE: 'off' };
      const uncached = await timeCommand(r.node, [deps.cli, 'status'], env);
      if (round === 0) continue;
      r.floorMs.push(floor);
      r.versionMs.push(version);
      r.statusMs.push(status);
      if (nodeCache !== null) r.statusNodeCacheMs.push(nodeCache);
      r.statusUncachedMs.push(uncached);
    }
  }
  // An even number of rollbacks per runtime: the stack ends with the colour it started with.
  for (let i = 0; i < 2 * Math.max(1, Math.ceil(deps.reps / 2)); i++) {
    for (const r of results) {
      r.rollbackMs.push((await timedSwitch(r.node, [deps.cli, 'rollback', '--json'], deps.env)).wallMs);
      await sleep(300);
    }
  }
  for (const r of results) {
    r.bareRssKb = await bareNodeRss(r.node);
    const child = await startSidecar(deps, path.join(deps.runDir, 'control.sock'), r.node);
    try {
      await sleep(3000); // as the sidecar path measures it: first reconcile done, watchers open
      r.sidecarIdleRssKb = (await rss(child.pid)).rss;
    } finally {
      await stopSidecar(child);
    }
    deps.say(
      `Node ${r.version}: node -e 0 ${median(r.floorMs).toFixed(0)} ms, --version ${median(r.versionMs).toFixed(0)} ms, ` +
        `status ${median(r.statusMs).toFixed(0)} ms, rollback ${median(r.rollbackMs).toFixed(0)} ms, ` +
        `sidecar idle ${((r.sidecarIdleRssKb ?? 0) / 1024).toFixed(1)} MiB`,
    );
  }
  return results;
}

/** results.md's section: one column per runtime, the first (the older Node) as the baseline. */
export function renderRuntimes(results: RuntimeResult[]): string {
  const L: string[] = ["## Node runtimes: the machine's Node against the supported one", ''];
  if (results.length === 0) return `${L.join('\n')}No Node runtime was found.\n`;
  L.push(
    'The same build on each Node this machine has: start-up in interleaved rounds on the idle machine, ' +
      "`rollback` wall time, and `linkswitch serve` (with the image's `--lite-mode --max-semi-space-size=1`) " +
      "idle 3 s after it started, beside a bare `node` with the same flags. `status` is timed with the launcher's " +
      "own code cache (`src/cli/compile-cache.ts`), with Node's `module.enableCompileCache` instead " +
      '(`bench/node-compile-cache.cjs`, Node 22 and later), and with no cache. Medians (min–max).',
    '',
  );
  L.push(`| | ${results.map((r) => `Node ${r.version}`).join(' | ')} |`);
  L.push(`| --- | ${results.map(() => '---:').join(' | ')} |`);
  const row = (label: string, pick: (r: RuntimeResult) => Array<number | null>, unit = ' ms') =>
    L.push(`| ${label} | ${results.map((r) => cell(pick(r), unit)).join(' | ')} |`);
  row('`node -e 0`', (r) => r.floorMs);
  row('`linkswitch --version`', (r) => r.versionMs);
  row('`linkswitch status`, launcher code cache', (r) => r.statusMs);
  row("`linkswitch status`, Node's compile cache", (r) => r.statusNodeCacheMs);
  row('`linkswitch status`, no cache', (r) => r.statusUncachedMs);
  row('`linkswitch rollback`, wall', (r) => r.rollbackMs);
  const mib = (kb: number | null) => (kb === null ? null : kb / 1024);
  row('bare `node`, idle RSS', (r) => [mib(r.bareRssKb)], ' MiB');
  row('sidecar idle RSS', (r) => [mib(r.sidecarIdleRssKb)], ' MiB');
  return `${L.join('\n')}\n`;
}
