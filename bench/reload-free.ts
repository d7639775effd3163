import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { parseShowProc } from '../src/adapters/haproxy-parse.js';
import { sendCommand } from '../src/adapters/haproxy-socket.js';
import { failures, startLoad } from '../test/support/load.js';
import { startTlsStream } from '../test/support/tls-stream.js';
import { type FastPathDeps, sidecarControl, startSidecar, stopSidecar } from './fast-paths.js';
import { haproxyCpuMs, sampleRss } from './haproxy-usage.js';
import { median } from './metrics.js';
import { benchHaproxy } from './stack-config.js';

// Reload-free deploys against the reload each deploy used to make, in the same run on the same
// HTTPS stack: `LINKSWITCH_RELOAD_EVERY_CHANGE=1` is the before (every config change reloads,
// as linkswitch did until the runtime API staged the new colour). Blocks of deploys alternate
// between the two, under HTTPS keep-alive load plus a stream of new TLS connections that offer
// their last session ticket. Per mode: each deploy's overhead over the new container's own
// start-to-healthy (the CLI's steps, and the same deploys through a sidecar), HAProxy's CPU and
// memory, full TLS handshakes per second, failed requests and the master's reload count.

export type Mode = 'reload' | 'runtime';
export const MODES: Mode[] = ['reload', 'runtime'];

export interface ModeResult {
  deploys: number;
  cliOverheadMs: number[];
  sidecarOverheadMs: number[];
  haproxyCpuMs: number;
  seconds: number;
  rssPeakKb: number;
  rssMeanKb: number;
  handshakes: number;
  fullHandshakes: number;
  requests: number;
  failed: number;
  reloads: number;
}

export interface ReloadFreeDeps {
  cli: string;
  templates: string;
  images: [string, string];
  /** Deploys per mode for the CPU, memory and TLS figures (in blocks of at most 5). */
  deploys: number;
  check: { inter: string; rise: number; fall: number };
  freePort(): Promise<number>;
  onCleanup(what: string, fn: () => Promise<unknown>): void;
  say(message: string): void;
}

const HOST = 'bench.test';

/** Per deploy: its first step's time → the first apply-config (create, start, healthy) from JSON logs. */
function startToHealthy(logText: string): number[] {
  const spans: number[] = [];
  let created: number | null = null;
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { phase?: string; time?: number };
    if (entry.phase === 'run-container') created = entry.time ?? null;
    if (entry.phase === 'apply-config' && created !== null && entry.time !== undefined) {
      spans.push(entry.time - created);
      created = null;
    }
  }
  return spans;
}

async function selfSignedPem(dir: string): Promise<string> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await execa('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${HOST}`,
    '-addext',
    `subjectAltName=DNS:${HOST}`,
  ]);
  const pem = path.join(dir, 'site.pem');
  await writeFile(pem, `${await readFile(cert, 'utf8')}${await readFile(key, 'utf8')}`, { mode: 0o600 });
  return pem;
}

export async function scenarioReloadFree(deps: ReloadFreeDeps): Promise<Record<Mode, ModeResult>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-rf-'));
  deps.onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const [port, httpsPort] = [await deps.freePort(), await deps.freePort()];
  const pem = await selfSignedPem(dir);
  const ca = await readFile(path.join(dir, 'cert.pem'), 'utf8');
  const configFile = path.join(dir, 'linkswitch.yml');
  await writeFile(
    configFile,
    stringify({
      service: { name: 'bench-rf', image: deps.images[0], port: 8080 },
      health: { interval: '100ms', timeout: '30s' },
      haproxy: benchHaproxy(port, deps.templates, deps.check, {
        tls: { bind: `127.0.0.1:${httpsPort}`, certificates: [pem] },
      }),
      state: { file: 'run/state.json' },
    }),
  );
  const baseEnv = { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' };
  const modeEnv = (mode: Mode) => ({
    ...baseEnv,
    ...(mode === 'reload' ? { LINKSWITCH_RELOAD_EVERY_CHANGE: '1' } : {}),
  });
  deps.onCleanup('linkswitch down (reload-free bench)', () =>
    execa('node', [deps.cli, 'down'], { env: baseEnv, reject: false }),
  );
  const up = await execa('node', [deps.cli, 'up'], { env: baseEnv, reject: false });
  if (up.exitCode !== 0) throw new Error(`reload-free bench: up failed: ${up.stderr}`);
  const master = Number((await readFile(path.join(dir, 'run', 'haproxy.pid'), 'utf8')).trim());
  const reloads = async () =>
    parseShowProc(
      await sendCommand({ path: path.join(dir, 'run', 'master.sock'), command: 'show proc', timeoutMs: 5000 }),
    )?.reloads ?? 0;

  const empty = (): ModeResult => ({
    deploys: 0,
    cliOverheadMs: [],
    sidecarOverheadMs: [],
    haproxyCpuMs: 0,
    seconds: 0,
    rssPeakKb: 0,
    rssMeanKb: 0,
    handshakes: 0,
    fullHandshakes: 0,
    requests: 0,
    failed: 0,
    reloads: 0,
  });
  const results: Record<Mode, ModeResult> = { reload: empty(), runtime: empty() };
  let deployed = 0;
  const nextImage = () => deps.images[++deployed % 2] as string;

  /** A block of CLI deploys in one mode, under HTTPS load and a stream of new TLS connections. */
  const block = async (mode: Mode, count: number) => {
    const r = results[mode];
    const load = startLoad({ port: httpsPort, tls: { ca }, hostHeader: HOST, connections: 4, maxDurationMs: 300_000 });
    const stream = startTlsStream({ port: httpsPort, ca, servername: HOST, pauseMs: 50, maxDurationMs: 300_000 });
    const rss = sampleRss(master);
    await sleep(500);
    const [cpu0, reloads0, t0] = [await haproxyCpuMs(master), await reloads(), performance.now()];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const d = await execa('node', [deps.cli, 'deploy', '--image', nextImage()], {
        env: modeEnv(mode),
        reject: false,
      });
      const wall = performance.now() - started;
      if (d.exitCode !== 0) throw new Error(`reload-free bench: deploy (${mode}) failed: ${d.stderr}`);
      const [healthy] = startToHealthy(d.stderr);
      if (healthy !== undefined) r.cliOverheadMs.push(wall - healthy);
      await sleep(300);
    }
    r.haproxyCpuMs += (await haproxyCpuMs(master)) - cpu0;
    r.seconds += (performance.now() - t0) / 1000;
    r.reloads += (await reloads()) - reloads0;
    r.deploys += count;
    const [samples, handshakes, memory] = await Promise.all([load.stop(), stream.stop(), rss.stop()]);
    r.requests += samples.length;
    r.failed += failures(samples).length;
    r.handshakes += handshakes.length - 1;
    r.fullHandshakes += handshakes.slice(1).filter((h) => !h.resumed).length;
    r.rssPeakKb = Math.max(r.rssPeakKb, memory.peakKb);
    r.rssMeanKb = r.rssMeanKb ? (r.rssMeanKb + memory.meanKb) / 2 : memory.meanKb;
  };

  const blockSize = Math.min(5, deps.deploys);
  for (let done = 0; done < deps.deploys; done += blockSize)
    for (const mode of MODES) {
      deps.say(
        `reload-free: ${blockSize} CLI deploys, ${mode === 'reload' ? 'a reload each (before)' : 'reload-free'}`,
      );
      await block(mode, Math.min(blockSize, deps.deploys - done));
    }

  // The same deploys through a sidecar (`serve`), one per mode, timed by the control client.
  for (const mode of MODES) {
    const log = path.join(dir, `sidecar-${mode}.log`);
    const sidecarDeps: Pick<FastPathDeps, 'cli' | 'env' | 'log' | 'onCleanup'> = {
      cli: deps.cli,
      env: modeEnv(mode),
      log,
      onCleanup: deps.onCleanup,
    };
    const socket = path.join(dir, 'run', 'control.sock');
    const child = await startSidecar(sidecarDeps, socket);
    try {
      await sleep(2000);
      const walls: number[] = [];
      for (let i = 0; i < Math.max(2, Math.min(5, deps.deploys)); i++) {
        const answer = await sidecarControl(socket, 'POST', '/v1/deploy', { image: nextImage() });
        if (answer.status !== 200) throw new Error(`reload-free bench: sidecar deploy: HTTP ${answer.status}`);
        walls.push(answer.ms);
        await sleep(300);
      }
      const healthy = startToHealthy(await readFile(log, 'utf8'));
      results[mode].sidecarOverheadMs = walls.map((w, i) => w - (healthy[i] ?? 0));
    } finally {
      await stopSidecar(child);
    }
  }
  return results;
}

const fmt = (values: number[]) =>
  values.length === 0
    ? '-'
    : `${median(values).toFixed(0)} ms (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;

export function renderReloadFree(results: Record<Mode, ModeResult>): string {
  const { reload: a, runtime: b } = results;
  // The load dominates HAProxy's CPU, and the two modes serve different request counts in their
  // blocks: per 1000 requests served, and per second of the blocks.
  const cpu = (r: ModeResult) =>
    `${((r.haproxyCpuMs / Math.max(1, r.requests)) * 1000).toFixed(1)} ms per 1000 requests ` +
    `(${(r.haproxyCpuMs / Math.max(1, r.seconds)).toFixed(0)} ms/s)`;
  const fullRate = (r: ModeResult) =>
    `${(r.fullHandshakes / Math.max(1, r.seconds)).toFixed(1)}/s (${r.fullHandshakes} of ${r.handshakes} new connections)`;
  const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  return [
    '## Reload-free deploys (issue 29)',
    '',
    `The same HTTPS stack, ${a.deploys} deploys per mode in alternating blocks, under 4 keep-alive HTTPS`,
    'connections and a stream of new TLS connections (one every 50 ms, each offering the last session',
    'ticket). "Before" is `LINKSWITCH_RELOAD_EVERY_CHANGE=1`: a reload to stage each new colour, the',
    'switch through the runtime API, as linkswitch deployed until now.',
    "Overhead: the deploy's wall time minus its own container's create-to-healthy, from its step log.",
    '',
    '| | before: a reload per deploy | after: reload-free |',
    '| --- | ---: | ---: |',
    `| CLI deploy overhead | ${fmt(a.cliOverheadMs)} | ${fmt(b.cliOverheadMs)} |`,
    `| sidecar deploy overhead | ${fmt(a.sidecarOverheadMs)} | ${fmt(b.sidecarOverheadMs)} |`,
    `| HAProxy CPU during the deploys (master + workers) | ${cpu(a)} | ${cpu(b)} |`,
    `| HAProxy memory, peak (mean) | ${mib(a.rssPeakKb)} (${mib(a.rssMeanKb)}) | ${mib(b.rssPeakKb)} (${mib(b.rssMeanKb)}) |`,
    `| full TLS handshakes during the deploys | ${fullRate(a)} | ${fullRate(b)} |`,
    `| failed requests | ${a.failed} of ${a.requests} | ${b.failed} of ${b.requests} |`,
    `| HAProxy reloads | ${a.reloads} | ${b.reloads} |`,
    '',
  ].join('\n');
}
