import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { parseShowProc } from '../src/adapters/haproxy-parse.js';
import { sendCommand } from '../src/adapters/haproxy-socket.js';
import { failures, startLoad } from '../test/support/load.js';
import { type PebbleBinaries, startPebble } from '../test/support/pebble.js';
import { median } from './metrics.js';
import { benchHaproxy } from './stack-config.js';

// Issue 30's figures: certificates from a real ACME CA (Pebble, Let's Encrypt's test CA, on
// this machine), issued and installed without a reload. For each forced renewal: the time from
// the command's start to the first HTTPS answer that carries the new certificate, under HTTPS
// keep-alive load; the failed requests during all of them; HAProxy's reloads (0 expected).
// Pebble validates over 127.0.0.1 in milliseconds: a public CA adds its own seconds. Pebble 2.6
// (Debian 13), which finalizes an order asynchronously as Let's Encrypt does: the client polls.

export interface AcmeBenchResult {
  /** `up` on a fresh stack: start to both hosts served with issued certificates. */
  firstIssueMs: number;
  /** Per renewal: command start → first TLS handshake with the new serial. */
  renewToServedMs: number[];
  /** Per renewal: the command's own wall time. */
  renewCommandMs: number[];
  requests: number;
  failed: number;
  reloads: number;
}

export interface AcmeBenchDeps {
  cli: string;
  templates: string;
  image: string;
  renewals: number;
  check: { inter: string; rise: number; fall: number };
  /** Debian 13's Pebble 2.6: it finalizes orders asynchronously, as Let's Encrypt does. */
  pebble: PebbleBinaries;
  freePort(): Promise<number>;
  onCleanup(what: string, fn: () => Promise<unknown>): void;
  say(message: string): void;
}

const HOSTS = ['shop.bench.test', 'api.bench.test'];

export async function scenarioAcme(deps: AcmeBenchDeps): Promise<AcmeBenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-bench-acme-'));
  deps.onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const [port, httpsPort] = [await deps.freePort(), await deps.freePort()];
  const pebble = await startPebble(dir, port, deps.pebble);
  deps.onCleanup('stop Pebble', () => pebble.stop());
  const configFile = path.join(dir, 'linkswitch.yml');
  await writeFile(
    configFile,
    stringify({
      service: { name: 'bench-acme', image: deps.image, port: 8080 },
      health: { interval: '100ms', timeout: '30s' },
      haproxy: benchHaproxy(port, deps.templates, deps.check, {
        tls: {
          bind: `127.0.0.1:${httpsPort}`,
          acme: {
            email: 'ops@bench.test',
            directory: pebble.directoryUrl,
            directoryCa: pebble.caFile,
            termsOfServiceAgreed: true,
            hosts: HOSTS,
          },
        },
      }),
      state: { file: 'run/state.json' },
    }),
  );
  const env = { LINKSWITCH_CONFIG: configFile, LINKSWITCH_LOG_FORMAT: 'json' };
  deps.onCleanup('linkswitch down (ACME bench)', () => execa('node', [deps.cli, 'down'], { env, reject: false }));
  const serial = (host: string) =>
    new Promise<string>((resolve) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: httpsPort, servername: host, rejectUnauthorized: false },
        () => {
          const cert = socket.getPeerX509Certificate();
          socket.end();
          resolve(cert && /Pebble/.test(cert.issuer) ? cert.serialNumber : '');
        },
      );
      socket.on('error', () => resolve(''));
    });
  const started = performance.now();
  const up = await execa('node', [deps.cli, 'up'], { env, reject: false, all: true });
  if (up.exitCode !== 0) throw new Error(`linkswitch up (ACME bench) failed:\n${up.all}`);
  while ((await Promise.all(HOSTS.map(serial))).includes('')) {
    if (performance.now() - started > 60_000) throw new Error('ACME bench: certificates not served within 60 s');
    await sleep(10);
  }
  const result: AcmeBenchResult = {
    firstIssueMs: performance.now() - started,
    renewToServedMs: [],
    renewCommandMs: [],
    requests: 0,
    failed: 0,
    reloads: 0,
  };
  const host = HOSTS[0] as string;
  const load = startLoad({
    port: httpsPort,
    hostHeader: host,
    tls: { ca: await pebble.issuingRoot() },
    connections: 4,
    maxDurationMs: 10 * 60_000,
  });
  try {
    await sleep(500);
    for (let i = 0; i < deps.renewals; i++) {
      const before = await serial(host);
      const t0 = performance.now();
      const command = execa('node', [deps.cli, 'certs', 'renew', '--force', host], { env, reject: false, all: true });
      let served: number | null = null;
      while (served === null && performance.now() - t0 < 30_000) {
        const now = await serial(host);
        if (now !== '' && now !== before) served = performance.now() - t0;
        else await sleep(5);
      }
      const done = await command;
      if (done.exitCode !== 0 || served === null)
        throw new Error(`ACME bench: certs renew failed (exit ${done.exitCode}):\n${done.all}`);
      result.renewToServedMs.push(served);
      result.renewCommandMs.push(performance.now() - t0);
      await sleep(200);
    }
  } finally {
    const samples = await load.stop();
    result.requests = samples.length;
    result.failed = failures(samples).length;
  }
  const proc = parseShowProc(
    await sendCommand({ path: path.join(dir, 'run', 'master.sock'), command: 'show proc', timeoutMs: 5000 }),
  );
  result.reloads = proc?.reloads ?? -1;
  deps.say(
    `ACME: first issue (up, 2 hosts) ${result.firstIssueMs.toFixed(0)} ms; renewal → new certificate served ` +
      `${median(result.renewToServedMs).toFixed(0)} ms (median of ${result.renewToServedMs.length}); ` +
      `${result.failed} failed of ${result.requests}; reloads ${result.reloads}`,
  );
  return result;
}

const fmt = (values: number[]) =>
  values.length === 0
    ? '-'
    : `${median(values).toFixed(0)} ms (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;

export function renderAcme(r: AcmeBenchResult): string {
  return [
    '## Automatic HTTPS (issue 30)',
    '',
    "Certificates from Pebble (Let's Encrypt's test CA) on this machine, HTTP-01 answered by",
    'HAProxy from its challenge map, each certificate installed through the runtime API. Renewals',
    '(`certs renew --force`) under 4 keep-alive HTTPS connections; "served" is the first new TLS',
    'handshake that carries the new certificate. A public CA adds its own validation time.',
    '',
    '| | figure |',
    '| --- | ---: |',
    `| \`up\` on a fresh stack → both hosts served with issued certificates | ${r.firstIssueMs.toFixed(0)} ms |`,
    `| renewal: command start → new certificate served (${r.renewToServedMs.length} runs) | ${fmt(r.renewToServedMs)} |`,
    `| renewal: the command's wall time | ${fmt(r.renewCommandMs)} |`,
    `| failed requests during the renewals | ${r.failed} of ${r.requests} |`,
    `| HAProxy reloads for all of it | ${r.reloads} |`,
    '',
  ].join('\n');
}
