// `npm run demo` (via scripts/demo.sh): builds the images on this machine, brings up
// docker-compose.yml with compose/acme/linkswitch.yml (HAProxy + the linkswitch sidecar + two
// services, web and api, by host on HTTPS) and compose/pebble.yml (Pebble, Let's Encrypt's test
// CA, standing in for Let's Encrypt). The sidecar gets both hosts' certificates over ACME by
// itself. Then the demo deploys web from the host through the control API and rolls it back with
// `docker compose exec`, under keep-alive HTTPS load to both hosts, and prints what the clients
// of each saw: web switches, api keeps serving untouched. The stack keeps running.
// `npm run demo -- --down` removes it (containers, network, volumes, the .env and the certificates).

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { parse } from 'yaml';
import { tokenProblem } from '../src/sidecar/token.js';
import { failures, type Sample, startLoad } from '../test/support/load.js';
import { pebbleListenerCertificate } from '../test/support/pebble.js';
import { freePort } from '../test/support/stack.js';
import { httpsGetText } from '../test/support/tls.js';
import {
  buildAppImage,
  buildLocalBaseImages,
  buildLocalPebbleImage,
  imageLines,
  ROOT,
  STACK_USER,
} from './local-images.js';

const ENV_FILE = path.join(ROOT, '.env');
const MARKER = '# Written by `npm run demo`; `npm run demo -- --down` removes it.';
const PROJECT = 'linkswitch-demo';
const CLI = path.join(ROOT, 'dist', 'bundle', 'bin.cjs');
const APP = 'linkswitch-demo-app';
const CONFIG_DIR = path.join(ROOT, 'compose', 'acme');
const CERTS = path.join(ROOT, 'compose', 'certs');
const PEBBLE_DIR = path.join(CERTS, 'pebble');
// Read by every `docker compose` command in this directory: the stack and its CA.
const COMPOSE_FILES = 'docker-compose.yml:compose/pebble.yml';
const HOSTS = { web: 'app.demo.test', api: 'api.demo.test' } as const;

const say = (line: string) => process.stdout.write(`demo: ${line}\n`);

async function composeCommand(): Promise<string[]> {
  if ((await execa('docker', ['compose', 'version'], { reject: false })).exitCode === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

let composeCmd: string[] = [];
async function compose(args: string[], options: { inherit?: boolean } = {}): Promise<{ stdout: string }> {
  const [bin, ...pre] = composeCmd;
  const result = await execa(bin!, [...pre, ...args], {
    cwd: ROOT,
    stdio: options.inherit ? 'inherit' : 'pipe',
    timeout: 600_000,
  });
  return { stdout: String(result.stdout ?? '') };
}

async function readEnvFile(): Promise<Record<string, string> | null> {
  if (!existsSync(ENV_FILE)) return null;
  const text = await readFile(ENV_FILE, 'utf8');
  if (!text.startsWith(MARKER)) {
    throw new Error(
      `${ENV_FILE} exists and was not written by the demo; move it away (the demo keeps its settings there)`,
    );
  }
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

async function portOr(preferred: number): Promise<number> {
  const net = await import('node:net');
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

async function serviceNames(): Promise<string[]> {
  const config = parse(await readFile(path.join(CONFIG_DIR, 'linkswitch.yml'), 'utf8')) as {
    services: Record<string, unknown>;
  };
  return Object.keys(config.services);
}

/**
 * Pebble's own HTTPS certificate, for the name `pebble`, from a throwaway CA (never committed):
 * the sidecar trusts that CA for the ACME directory (acme.directoryCa).
 */
async function makePebbleCertificate(): Promise<void> {
  // A Pebble still running from an earlier demo keeps the files it started with.
  const files = ['pebble-cert.pem', 'pebble-key.pem', 'pebble-ca.pem'];
  if (files.every((file) => existsSync(path.join(PEBBLE_DIR, file)))) return;
  await rm(PEBBLE_DIR, { recursive: true, force: true });
  // Pebble runs as STACK_USER: its key is theirs (root can hand it over; anyone else makes this
  // throwaway one readable to all).
  const root = process.getuid?.() === 0;
  const { keyFile } = await pebbleListenerCertificate(PEBBLE_DIR, 'pebble', root ? STACK_USER : undefined);
  if (!root) await chmod(keyFile, 0o644);
}

/** GET on Pebble's management API: /roots/0 is the root it issues from (new at each start). */
async function pebbleRoot(port: number): Promise<string> {
  return httpsGetText(port, '/roots/0', await readFile(path.join(PEBBLE_DIR, 'pebble-ca.pem'), 'utf8'), 'pebble');
}

/** Subject and not-after of the certificate HTTPS on 127.0.0.1:`port` serves for `host`. */
function servedCertificate(port: number, host: string, ca: string): Promise<{ issuer: string; notAfter: string }> {
  return import('node:tls').then(
    (tls) =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
          const peer = socket.getPeerCertificate();
          socket.end();
          resolve({ issuer: String(peer.issuer.CN), notAfter: new Date(peer.valid_to).toISOString().slice(0, 10) });
        });
        socket.on('error', reject);
      }),
  );
}

async function down(): Promise<void> {
  if (!(await readEnvFile())) say('no .env from a previous demo; tearing down with the defaults');
  await compose(['stop', 'linkswitch']).catch(() => undefined);
  // The colours are the sidecar's containers, not compose services: remove them by label.
  for (const name of await serviceNames()) {
    const { stdout } = await execa('docker', ['ps', '-aq', '--filter', `label=linkswitch.service=${name}`]);
    const ids = stdout.split('\n').filter(Boolean);
    if (ids.length) await execa('docker', ['rm', '-f', ...ids]);
  }
  await compose(['down', '-v', '--remove-orphans'], { inherit: true });
  await rm(ENV_FILE, { force: true });
  for (const file of ['pebble', 'pebble-root.pem', 'site.pem', 'ca.pem', 'ca'])
    await rm(path.join(CERTS, file), { recursive: true, force: true });
  say('stack removed (containers, network, volumes, .env, the demo certificates)');
}

/** GET / over HTTPS for `host`; the answer's version, status and Location. */
function fetchOnce(
  port: number,
  host: string,
  ca: string | null,
): Promise<{ version: string | null; status: number; location: string | null }> {
  return import(ca ? 'node:https' : 'node:http').then(
    (client: typeof import('node:https')) =>
      new Promise((resolve) => {
        const request = client.get(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            headers: { host },
            agent: false,
            timeout: 2000,
            ...(ca ? { ca, servername: host } : {}),
          },
          (response) => {
            response.resume();
            resolve({
              version: (response.headers['x-version'] as string) ?? null,
              status: response.statusCode ?? 0,
              location: (response.headers.location as string) ?? null,
            });
          },
        );
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve({ version: null, status: 0, location: null }));
      }),
  );
}

interface Step {
  label: string;
  via: string;
  startedAt: number;
  endedAt: number;
  switchMs: number | null;
  /** The command's own duration (without the client's start-up, e.g. docker compose exec). */
  durationMs: number;
}

function table(samples: Sample[], loadStart: number, loadEnd: number, steps: Step[]): string {
  const rows: Array<[string, string, string, string, string, string]> = [
    ['', 'requests', 'failed', 'versions seen', 'took', 'switch'],
  ];
  const segment = (label: string, from: number, to: number, step?: Step) => {
    const inside = samples.filter((s) => s.startedAt >= from && s.startedAt < to);
    const versions = [...new Set(inside.map((s) => s.version ?? 'none'))].join(', ');
    rows.push([
      label,
      String(inside.length),
      String(failures(inside).length),
      versions || '-',
      step ? `${step.durationMs} ms` : '',
      step?.switchMs != null ? `${step.switchMs.toFixed(1)} ms` : '',
    ]);
  };
  segment('before', loadStart, steps[0]!.startedAt);
  steps.forEach((step, i) => {
    segment(`${step.label} (${step.via})`, step.startedAt, step.endedAt, step);
    segment(`after ${step.label}`, step.endedAt, steps[i + 1]?.startedAt ?? loadEnd);
  });
  rows.push(['total', String(samples.length), String(failures(samples).length), '', '', '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

/** How often HAProxy's master has reloaded since it started (`show proc` on the master CLI). */
async function haproxyReloads(): Promise<number | null> {
  const script = `const s = require('node:net').connect('/run/haproxy/master.sock');
let out = ''; s.on('data', (d) => (out += d)); s.on('end', () => process.stdout.write(out));
s.end('show proc\\n');`;
  try {
    const { stdout } = await compose(['exec', '-T', 'linkswitch', 'node', '-e', script]);
    const reloads = /^\d+\s+master\s+(\d+)/m.exec(stdout)?.[1];
    return reloads === undefined ? null : Number(reloads);
  } catch {
    return null;
  }
}

async function residentMb(): Promise<string> {
  try {
    const { stdout: id } = await compose(['ps', '-q', 'linkswitch']);
    const { stdout: pid } = await execa('docker', ['inspect', '-f', '{{.State.Pid}}', id.trim()]);
    const status = await readFile(`/proc/${pid.trim()}/status`, 'utf8');
    return `${(Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) / 1024).toFixed(1)} MB`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  composeCmd = await composeCommand();
  if (process.argv.includes('--down')) return down();

  const previous = await readEnvFile();
  // With a registry, HAPROXY_IMAGE=haproxy:3.0 NODE_IMAGE=node:24-slim npm run demo uses the
  // official images; without one (the default here) they are built from this machine.
  let haproxyImage = process.env.HAPROXY_IMAGE ?? previous?.HAPROXY_IMAGE;
  let nodeImage = process.env.NODE_IMAGE ?? previous?.NODE_IMAGE;
  if (!haproxyImage || !nodeImage || haproxyImage.endsWith(':local') || nodeImage.endsWith(':local')) {
    say("building the node and haproxy images from this machine's binaries (no registry needed)");
    ({ haproxyImage, nodeImage } = await buildLocalBaseImages());
  }
  say(`building the demo app (${APP}:v1, :v2) on ${nodeImage}`);
  await buildAppImage(`${APP}:v1`, 'v1', nodeImage);
  await buildAppImage(`${APP}:v2`, 'v2', nodeImage);
  const pebbleImage = process.env.PEBBLE_IMAGE ?? previous?.PEBBLE_IMAGE ?? (await buildLocalPebbleImage());
  await makePebbleCertificate();
  say(`the CA: Pebble, Let's Encrypt's test CA (${pebbleImage}), as https://pebble:14000/dir`);

  const env = {
    COMPOSE_PROJECT_NAME: previous?.COMPOSE_PROJECT_NAME ?? PROJECT,
    COMPOSE_FILE: COMPOSE_FILES,
    HAPROXY_IMAGE: haproxyImage,
    PEBBLE_IMAGE: pebbleImage,
    NODE_IMAGE: nodeImage,
    // The sidecar image's labels name these images' Node and HAProxy lines (its build checks them).
    ...(await imageLines(nodeImage, haproxyImage)),
    // 32 random bytes; an older .env's shorter token (the sidecar now refuses it) is replaced.
    LINKSWITCH_TOKEN:
      previous?.LINKSWITCH_TOKEN && tokenProblem(previous.LINKSWITCH_TOKEN) === null
        ? previous.LINKSWITCH_TOKEN
        : randomBytes(32).toString('hex'),
    LINKSWITCH_HTTP: previous?.LINKSWITCH_HTTP ?? `127.0.0.1:${await portOr(8080)}`,
    LINKSWITCH_HTTPS: previous?.LINKSWITCH_HTTPS ?? `127.0.0.1:${await portOr(8443)}`,
    LINKSWITCH_CONTROL: previous?.LINKSWITCH_CONTROL ?? `127.0.0.1:${await portOr(9180)}`,
    LINKSWITCH_PEBBLE_MANAGEMENT: previous?.LINKSWITCH_PEBBLE_MANAGEMENT ?? `127.0.0.1:${await portOr(15000)}`,
    LINKSWITCH_ETC: './compose/acme',
    LINKSWITCH_CERTS: './compose/certs',
  };
  await writeFile(
    ENV_FILE,
    `${MARKER}\n${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  const httpPort = Number(env.LINKSWITCH_HTTP.split(':')[1]);
  const httpsPort = Number(env.LINKSWITCH_HTTPS.split(':')[1]);
  const controlUrl = `http://${env.LINKSWITCH_CONTROL}`;

  say('building the sidecar image from the Dockerfile and starting the stack');
  await compose(['build', 'linkswitch']);
  await compose(['up', '-d'], { inherit: true });
  const upAt = performance.now();
  const deadline = Date.now() + 120_000;
  const managementPort = Number(env.LINKSWITCH_PEBBLE_MANAGEMENT.split(':')[1]);
  let ca: string | null = null;
  while (!ca && Date.now() < deadline) ca = await pebbleRoot(managementPort).catch(() => sleep(250).then(() => null));
  if (!ca)
    throw new Error(
      `Pebble does not answer on ${env.LINKSWITCH_PEBBLE_MANAGEMENT}; see \`${composeCmd.join(' ')} logs pebble\``,
    );
  // Clients trust Pebble's root as browsers trust Let's Encrypt's: until the sidecar has a
  // certificate for a host, HAProxy serves a self-signed default and the request fails.
  await writeFile(path.join(CERTS, 'pebble-root.pem'), ca);
  const serving: Record<string, string | null> = { web: null, api: null };
  let renewed = false;
  for (;;) {
    serving.web = (await fetchOnce(httpsPort, HOSTS.web, ca)).version;
    serving.api = (await fetchOnce(httpsPort, HOSTS.api, ca)).version;
    if ((serving.web && serving.api) || Date.now() >= deadline) break;
    if (previous && !renewed && performance.now() - upAt > 20_000) {
      // A stack from an earlier demo serves certificates of an earlier Pebble, whose root is
      // gone with it (Pebble makes a new one at each start): renew them from this one.
      say('the certificates served are from an earlier Pebble: `linkswitch certs renew --force`');
      renewed = true;
      await compose(['exec', '-T', 'linkswitch', 'linkswitch', 'certs', 'renew', '--force']).catch(() => undefined);
    }
    await sleep(250);
  }
  if (!serving.web || !serving.api)
    throw new Error(
      `no certificate from Pebble is served on 127.0.0.1:${httpsPort} after 120 s; see \`${composeCmd.join(' ')} logs linkswitch\``,
    );
  const tookMs = performance.now() - upAt;
  for (const host of Object.values(HOSTS)) {
    const served = await servedCertificate(httpsPort, host, ca);
    say(`https://${host}/ serves a certificate from ${served.issuer} until ${served.notAfter}`);
  }
  const reloads = await haproxyReloads();
  // A stack left running by an earlier demo served them before this `up`.
  const when = previous && tookMs < 500 ? 'in an earlier run' : `${(tookMs / 1000).toFixed(1)} s after \`up\``;
  say(
    `the sidecar got both over ACME (HTTP-01, answered by HAProxy) ${when}; ` +
      `HAProxy reloads since it started: ${reloads ?? 'unknown'}`,
  );
  const redirect = await fetchOnce(httpPort, HOSTS.web, null);
  const target = serving.web === 'v2' ? 'v1' : 'v2';
  say(`https://${HOSTS.web}/ answers ${serving.web}, https://${HOSTS.api}/ answers ${serving.api}`);
  say(`http://${HOSTS.web}/ answers ${redirect.status} → ${redirect.location}`);
  say(`deploying web ${target} and rolling it back under keep-alive HTTPS load to both hosts`);

  const hostEnv = {
    ...process.env,
    LINKSWITCH_SIDECAR: controlUrl,
    LINKSWITCH_TOKEN: env.LINKSWITCH_TOKEN,
    LINKSWITCH_LOG_LEVEL: 'warn',
  };
  const loadOf = (host: string) =>
    startLoad({
      port: httpsPort,
      connections: 3,
      maxDurationMs: 120_000,
      maxRequests: 500_000,
      hostHeader: host,
      tls: { ca },
    });
  const loads = { web: loadOf(HOSTS.web), api: loadOf(HOSTS.api) };
  const loadStart = performance.now();
  const steps: Step[] = [];
  const step = async (label: string, via: string, run: () => Promise<{ stdout: string }>) => {
    const startedAt = performance.now();
    const { stdout } = await run();
    const summary = JSON.parse(stdout) as { switchMs: number | null; durationMs: number };
    steps.push({
      label,
      via,
      startedAt,
      endedAt: performance.now(),
      switchMs: summary.switchMs,
      durationMs: summary.durationMs,
    });
    await sleep(1000);
  };
  await sleep(1000);
  await step(`deploy web ${target}`, 'host CLI → control API', () =>
    execa(process.execPath, [CLI, 'deploy', 'web', '--image', `${APP}:${target}`, '--json'], { env: hostEnv }),
  );
  await step('rollback web', 'docker compose exec', () =>
    compose(['exec', '-T', 'linkswitch', 'linkswitch', 'rollback', 'web', '--json']),
  );
  const samples = { web: await loads.web.stop(), api: await loads.api.stop() };
  const loadEnd = performance.now();

  const token = '$(sed -n s/^LINKSWITCH_TOKEN=//p .env)';
  const dc = composeCmd.join(' ');
  const resolve = `--resolve ${HOSTS.web}:${httpsPort}:127.0.0.1 --resolve ${HOSTS.api}:${httpsPort}:127.0.0.1`;
  process.stdout.write(`
https://${HOSTS.web}/ (web, deployed and rolled back):
${table(samples.web, loadStart, loadEnd, steps)}

https://${HOSTS.api}/ (api, not deployed: must not change):
${table(samples.api, loadStart, loadEnd, steps)}
(took: the command's own duration in the sidecar; switch: the runtime-API weight flip)

Sidecar resident memory now: ${await residentMb()}.

The stack keeps running (compose project ${env.COMPOSE_PROJECT_NAME}; settings in .env):
  curl --cacert compose/certs/pebble-root.pem ${resolve} https://${HOSTS.web}:${httpsPort}/
  curl -i -H 'Host: ${HOSTS.api}' http://127.0.0.1:${httpPort}/    # 308 to HTTPS
  ${dc} exec linkswitch linkswitch status
  ${dc} exec linkswitch linkswitch certs        # issuer, expiry, renewal of each host
  ${dc} exec linkswitch linkswitch deploy api --image ${APP}:v2
  LINKSWITCH_SIDECAR=${controlUrl} LINKSWITCH_TOKEN=${token} npx linkswitch rollback api
  curl -H "Authorization: Bearer ${token}" ${controlUrl}/metrics
  ${dc} logs -f haproxy     # access logs
Edit templates/haproxy.cfg.hbs and the sidecar validates and applies it within a second (an
invalid edit is refused and logged); \`docker kill web-blue\` (or -green, whichever is linked)
makes it fail over to the warm colour.

Tear it down: npm run demo -- --down
`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
