// `npm run demo` (via scripts/demo.sh): builds the images on this machine, brings up
// docker-compose.yml (HAProxy + the linkswitch sidecar + the web-blue/web-green colours), then
// deploys v2 from the host through the control API and rolls back with `docker compose exec`,
// both under keep-alive load, and prints what the clients saw. The stack keeps running.
// `npm run demo -- --down` removes it (containers, network, volumes, the .env it wrote).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { parse } from 'yaml';
import { failures, type Sample, startLoad } from '../test/support/load.js';
import { freePort } from '../test/support/stack.js';
import { buildAppImage, buildLocalBaseImages, ROOT } from './local-images.js';

const ENV_FILE = path.join(ROOT, '.env');
const MARKER = '# Written by `npm run demo`; `npm run demo -- --down` removes it.';
const PROJECT = 'linkswitch-demo';
const CLI = path.join(ROOT, 'dist', 'cli', 'bin.js');
const APP = 'linkswitch-demo-app';

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

async function serviceName(): Promise<string> {
  const config = parse(await readFile(path.join(ROOT, 'compose', 'linkswitch.yml'), 'utf8')) as {
    service: { name: string };
  };
  return config.service.name;
}

async function down(): Promise<void> {
  if (!(await readEnvFile())) say('no .env from a previous demo; tearing down with the defaults');
  await compose(['stop', 'linkswitch']).catch(() => undefined);
  // The colours are the sidecar's containers, not compose services: remove them by label.
  const { stdout } = await execa('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=linkswitch.service=${await serviceName()}`,
  ]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length) await execa('docker', ['rm', '-f', ...ids]);
  await compose(['down', '-v', '--remove-orphans'], { inherit: true });
  await rm(ENV_FILE, { force: true });
  say('stack removed (containers, network, volumes, .env)');
}

function versionOf(port: number): Promise<string | null> {
  return import('node:http').then(
    (http) =>
      new Promise((resolve) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (response) => {
          response.resume();
          resolve((response.headers['x-version'] as string) ?? null);
        });
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(null));
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
  // With a registry, HAPROXY_IMAGE=haproxy:3.0 NODE_IMAGE=node:22-slim npm run demo uses the
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

  const env = {
    COMPOSE_PROJECT_NAME: previous?.COMPOSE_PROJECT_NAME ?? PROJECT,
    HAPROXY_IMAGE: haproxyImage,
    NODE_IMAGE: nodeImage,
    LINKSWITCH_TOKEN: previous?.LINKSWITCH_TOKEN ?? randomBytes(24).toString('hex'),
    LINKSWITCH_HTTP: previous?.LINKSWITCH_HTTP ?? `127.0.0.1:${await portOr(8080)}`,
    LINKSWITCH_CONTROL: previous?.LINKSWITCH_CONTROL ?? `127.0.0.1:${await portOr(9180)}`,
  };
  await writeFile(
    ENV_FILE,
    `${MARKER}\n${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  const httpPort = Number(env.LINKSWITCH_HTTP.split(':')[1]);
  const controlUrl = `http://${env.LINKSWITCH_CONTROL}`;

  say('building the sidecar image from the Dockerfile and starting the stack');
  await compose(['build', 'linkswitch']);
  await compose(['up', '-d'], { inherit: true });
  const deadline = Date.now() + 90_000;
  let serving: string | null = null;
  for (;;) {
    serving = await versionOf(httpPort);
    if (serving || Date.now() >= deadline) break;
    await sleep(250);
  }
  if (!serving)
    throw new Error(`nothing answers on 127.0.0.1:${httpPort} after 90 s; see \`${composeCmd.join(' ')} logs\``);
  const target = serving === 'v2' ? 'v1' : 'v2';
  say(`http://127.0.0.1:${httpPort}/ answers ${serving}; deploying ${target} and rolling back under keep-alive load`);

  const hostEnv = {
    ...process.env,
    LINKSWITCH_SIDECAR: controlUrl,
    LINKSWITCH_TOKEN: env.LINKSWITCH_TOKEN,
    LINKSWITCH_LOG_LEVEL: 'warn',
  };
  const load = startLoad({ port: httpPort, connections: 4, maxDurationMs: 120_000, maxRequests: 500_000 });
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
  await step(`deploy ${target}`, 'host CLI → control API', () =>
    execa(process.execPath, [CLI, 'deploy', '--image', `${APP}:${target}`, '--json'], { env: hostEnv }),
  );
  await step('rollback', 'docker compose exec', () =>
    compose(['exec', '-T', 'linkswitch', 'linkswitch', 'rollback', '--json']),
  );
  const samples = await load.stop();
  const loadEnd = performance.now();

  const token = '$(sed -n s/^LINKSWITCH_TOKEN=//p .env)';
  const dc = composeCmd.join(' ');
  const service = await serviceName();
  process.stdout.write(`
${table(samples, loadStart, loadEnd, steps)}
(took: the command's own duration in the sidecar; switch: the runtime-API weight flip)

Sidecar resident memory now: ${await residentMb()}.

The stack keeps running (compose project ${env.COMPOSE_PROJECT_NAME}; settings in .env):
  curl -i http://127.0.0.1:${httpPort}/
  ${dc} exec linkswitch linkswitch status
  ${dc} exec linkswitch linkswitch deploy --image ${APP}:v2
  LINKSWITCH_SIDECAR=${controlUrl} LINKSWITCH_TOKEN=${token} npx linkswitch rollback
  curl -H "Authorization: Bearer ${token}" ${controlUrl}/metrics
  ${dc} logs -f linkswitch
Edit templates/haproxy.cfg.hbs and the sidecar validates and applies it within a second (an
invalid edit is refused and logged); \`docker kill ${service}-blue\` (or -green, whichever is
linked) makes it fail over to the warm colour.

Tear it down: npm run demo -- --down
`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
