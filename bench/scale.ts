import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { systemClock } from '../src/adapters/clock.js';
import { LiveConfigFile } from '../src/adapters/config-file.js';
import { Haproxy } from '../src/adapters/haproxy.js';
import { checkConfig } from '../src/adapters/haproxy-binary.js';
import { containerLayout } from '../src/app/engine.js';
import { parseConfig } from '../src/config/load.js';
import { buildBackendContext, buildHaproxyContext } from '../src/core/haproxy-context.js';
import type { Observed } from '../src/core/plan.js';
import { type Settings, settingsFor } from '../src/core/settings.js';
import { renderHaproxyConfig } from '../src/render/renderer.js';
import { observedContainer } from '../test/support/fakes.js';
import { median } from './metrics.js';

// One HAProxy routing N services (1, 20, 200): how long one service's switch, a reload, `haproxy
// -c` and a render of the whole haproxy.cfg take as N grows. Every backend's two colours point
// at two small HTTP servers of this process (blue, green), so HAProxy's checks are real and all
// 2N servers are UP, without 2N containers. What it does not include: the Docker round trips a
// real render makes to observe the other services' containers (two inspects per service), which
// the CLI adds on top of the render time here.

export interface ScalePoint {
  services: number;
  renderMs: number[];
  validateMs: number[];
  reloadMs: number[];
  switchMs: number[];
  configBytes: number;
}

function colourServer(colour: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-version': colour });
    res.end(req.url === '/health' ? 'ok\n' : `${colour}\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function configFor(dir: string, count: number, bindPort: number, templateDir: string): Settings {
  const services = Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const name = `s${String(i + 1).padStart(3, '0')}`;
      return [name, { image: 'bench:1', port: 8080, routes: [`${name}.bench.test`] }];
    }),
  );
  const yaml = stringify({
    services,
    haproxy: {
      bind: `127.0.0.1:${bindPort}`,
      configFile: path.join(dir, 'haproxy.cfg'),
      templateDir,
      masterSocket: path.join(dir, 'master.sock'),
      adminSocket: path.join(dir, 'admin.sock'),
      pidFile: path.join(dir, 'haproxy.pid'),
      check: { inter: '500ms' },
      accessLog: { target: 'none' },
    },
    state: { dir: path.join(dir, 'state') },
  });
  return parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function scaleBench(options: {
  dir: string;
  counts: number[];
  reps: number;
  templateDir: string;
  freePort(): Promise<number>;
  say(message: string): void;
}): Promise<ScalePoint[]> {
  const [blue, green] = [await colourServer('blue'), await colourServer('green')];
  const port = (s: http.Server) => (s.address() as AddressInfo).port;
  const observed: Observed = {
    blue: observedContainer('blue', { address: { host: '127.0.0.1', port: port(blue) } }),
    green: observedContainer('green', { address: { host: '127.0.0.1', port: port(green) } }),
  };
  const points: ScalePoint[] = [];
  try {
    for (const count of options.counts) {
      const dir = path.join(options.dir, `scale-${count}`);
      await mkdir(dir, { recursive: true });
      const settings = configFor(dir, count, await options.freePort(), options.templateDir);
      const views = settings.services.map((e) => settingsFor(settings, e.service.name)!);
      // The container engine's layout, so the reloads carry the serving servers' state as deploys do.
      const layout = containerLayout(settings);
      // What every render does: the context of the whole stack, then the template (compiled anew,
      // as the CLI does once per command).
      const render = async () => {
        const others = views.slice(1).map((v) => buildBackendContext(v, 'blue', observed));
        const context = buildHaproxyContext(views[0]!, 'blue', observed, layout, others);
        return { text: await renderHaproxyConfig(options.templateDir, context), maps: context.maps };
      };
      const renderMs: number[] = [];
      let rendered = await render();
      for (let i = 0; i < options.reps; i++) renderMs.push(await timed(async () => (rendered = await render())));
      const file = new LiveConfigFile(settings.haproxy.configFile);
      await file.writeMaps(rendered.maps);
      await file.write(rendered.text);
      const haproxy = new Haproxy(views[0]!, systemClock, layout);
      const validateMs: number[] = [];
      // The binary itself each time: the adapter's validate would answer later reps from its cache
      // of accepted configs (src/adapters/validated-configs.ts), which is not what this measures.
      for (let i = 0; i < options.reps; i++)
        validateMs.push(await timed(() => checkConfig(settings.haproxy, rendered.text)));
      await haproxy.start();
      try {
        // Let the first checks of all 2N servers pass before timing anything.
        await sleep(1500);
        const target = new Haproxy(views[Math.floor(count / 2)]!, systemClock, layout);
        const switchMs: number[] = [];
        for (let i = 0; i < options.reps * 3; i++) {
          const weights = i % 2 === 0 ? { blue: 0, green: 100 } : { blue: 100, green: 0 };
          switchMs.push(await timed(() => target.setWeights(weights)));
        }
        const reloadMs: number[] = [];
        for (let i = 0; i < options.reps; i++) {
          reloadMs.push(await timed(() => haproxy.reload()));
          await sleep(200);
        }
        points.push({ services: count, renderMs, validateMs, reloadMs, switchMs, configBytes: rendered.text.length });
        options.say(
          `scale ${count} services: render ${median(renderMs).toFixed(1)} ms, haproxy -c ${median(validateMs).toFixed(0)} ms, ` +
            `reload ${median(reloadMs).toFixed(0)} ms, switch ${median(switchMs).toFixed(2)} ms`,
        );
      } finally {
        await haproxy.stop();
      }
    }
  } finally {
    blue.close();
    green.close();
  }
  return points;
}

const fmt = (values: number[], digits: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${median(values).toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)})`;
};

/** The markdown section of results.md: one row per service count, ratios against one service. */
export function renderScale(points: ScalePoint[], reps: number): string {
  if (points.length === 0) return '';
  const base = points[0]!;
  const ratio = (p: ScalePoint, key: 'renderMs' | 'validateMs' | 'reloadMs') =>
    `${(median(p[key]) / median(base[key])).toFixed(1)}×`;
  const rows = points.map(
    (p) =>
      `| ${p.services} | ${(p.configBytes / 1024).toFixed(1)} KiB | ${fmt(p.switchMs, 2)} | ${fmt(p.renderMs, 1)} (${ratio(p, 'renderMs')}) | ` +
      `${fmt(p.validateMs, 0)} (${ratio(p, 'validateMs')}) | ${fmt(p.reloadMs, 0)} (${ratio(p, 'reloadMs')}) |`,
  );
  return [
    '## Several services behind one HAProxy',
    '',
    `One HAProxy routing N services by host (map files), every backend with two colours that are UP; ${reps} runs per figure (${reps * 3} switches), median (min–max), ratio against 1 service. Switch: one service's weight flip through the runtime API. Render: the whole haproxy.cfg (context and template) in process, without the Docker round trips a real render adds to observe the other services (two inspects each). Reload: through the master socket until the new worker answers.`,
    '',
    '| services | haproxy.cfg | switch ms | render ms | haproxy -c ms | reload ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

/** Writes the raw figures beside the report (bench/out/scale.json in smoke runs). */
export async function writeScaleJson(file: string, points: ScalePoint[]): Promise<void> {
  await writeFile(file, `${JSON.stringify(points, null, 2)}\n`);
}
