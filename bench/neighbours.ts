import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { isFailure, median, quantile, type Sample } from './metrics.js';
import { benchHaproxy } from './stack-config.js';

// Two services behind one HAProxy: does a deploy of one disturb the other? The paced load goes
// to service `nb` (the default route, so the load client needs no Host header) while `na` is
// deployed; `nb`'s failed requests and p99 latency during each deploy are compared with its p99
// on the idle stack, measured in the same run.

export const NEIGHBOUR_SERVICES = ['bench-na', 'bench-nb'] as const;

export interface NeighbourResult {
  idleP99Ms: number[];
  deployP99Ms: number[];
  failed: number[];
  requests: number[];
  deployMs: number[];
}

export interface NeighbourDeps {
  cli: string;
  templates: string;
  images: [string, string];
  reps: number;
  check: { inter: string; rise: number; fall: number };
  freePort(): Promise<number>;
  startLoad(port: number): Promise<{ stop(): Promise<Sample[]> }>;
  onCleanup(what: string, fn: () => Promise<unknown>): void;
  say(message: string): void;
}

const latencies = (samples: Sample[]) => samples.filter((s) => !isFailure(s)).map((s) => s[1] - s[0]);

export async function scenarioNeighbours(deps: NeighbourDeps): Promise<NeighbourResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-nb-'));
  deps.onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const port = await deps.freePort();
  const configFile = path.join(dir, 'linkswitch.yml');
  const [na, nb] = NEIGHBOUR_SERVICES;
  const service = (extra: Record<string, unknown>) => ({
    image: deps.images[0],
    port: 8080,
    health: { interval: '100ms', timeout: '30s' },
    ...extra,
  });
  await writeFile(
    configFile,
    stringify({
      services: { [na]: service({ routes: ['na.bench.test'] }), [nb]: service({ default: true }) },
      haproxy: benchHaproxy(port, deps.templates, deps.check, { accessLog: { target: 'none' } }),
      state: { dir: 'run/state' },
    }),
  );
  const env = { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' };
  const cli = (args: string[]) => execa('node', [deps.cli, ...args], { env, timeout: 120_000 });
  deps.onCleanup('linkswitch down (neighbours)', () =>
    execa('node', [deps.cli, '--lock-wait', '30s', 'down'], { reject: false, env, timeout: 60_000 }),
  );
  await cli(['up']);
  const result: NeighbourResult = { idleP99Ms: [], deployP99Ms: [], failed: [], requests: [], deployMs: [] };
  for (let rep = 0; rep < deps.reps; rep++) {
    // Idle: the same load on the same stack, nothing deploying.
    const idle = await deps.startLoad(port);
    await sleep(3000);
    result.idleP99Ms.push(quantile(latencies(await idle.stop()), 0.99));
    const load = await deps.startLoad(port);
    await sleep(500);
    const start = performance.timeOrigin + performance.now();
    await cli(['deploy', na, '--image', deps.images[(rep + 1) % 2]!, '--json']);
    const end = performance.timeOrigin + performance.now();
    await sleep(500);
    const samples = await load.stop();
    const during = samples.filter((s) => s[0] >= start && s[1] <= end);
    result.deployMs.push(end - start);
    result.deployP99Ms.push(quantile(latencies(during), 0.99));
    result.failed.push(samples.filter(isFailure).length);
    result.requests.push(samples.length);
  }
  deps.say(
    `neighbours: ${nb} p99 idle ${median(result.idleP99Ms).toFixed(1)} ms, during ${na}'s deploy ` +
      `${median(result.deployP99Ms).toFixed(1)} ms; failed ${result.failed.join(', ')}`,
  );
  return result;
}

export function renderNeighbours(r: NeighbourResult | null): string {
  if (!r) return '';
  const fmt = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return `${median(v).toFixed(1)} (${s[0]!.toFixed(1)}–${s.at(-1)!.toFixed(1)})`;
  };
  const ratio = median(r.deployP99Ms) / median(r.idleP99Ms);
  return [
    '### A deploy of one service, seen from another',
    '',
    `Two services behind one HAProxy; the paced load goes to one while the other is deployed (${r.deployMs.length} deploys; idle p99 measured on the same stack before each).`,
    '',
    '| requests to the other service | failed | p99 idle | p99 during the deploy | ratio | deploy wall time |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.requests.reduce((a, b) => a + b, 0)} | ${r.failed.reduce((a, b) => a + b, 0)} | ${fmt(r.idleP99Ms)} ms | ${fmt(r.deployP99Ms)} ms | ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? 'met' : '**missed**'}) | ${fmt(r.deployMs)} ms |`,
    '',
  ].join('\n');
}
