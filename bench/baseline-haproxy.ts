import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { parseConfig } from '../src/config/load.js';
import type { Colour } from '../src/core/colour.js';
import { buildHaproxyContext } from '../src/core/haproxy-context.js';
import type { Observed } from '../src/core/plan.js';
import { renderHaproxyConfig } from '../src/render/renderer.js';
import { observedContainer } from '../test/support/fakes.js';

// HAProxy for the baselines: linkswitch's own template, rendered by linkswitch's own renderer
// with the bench's settings (same global and defaults, same health check), so a template change
// reaches the baselines too instead of breaking a hand-filled copy. What differs is only that
// every listed server has weight 100 (the recipes have no weight flip).

export interface BaselineSettings {
  dir: string;
  bindPort: number;
  servers: Array<{ colour: Colour; port: number }>;
  check: { inter: string; rise: number; fall: number };
  retries: number;
  templateDir: string;
}

export async function renderBaselineConfig(options: BaselineSettings): Promise<string> {
  const { dir, bindPort, check, retries } = options;
  const yaml = [
    'service: { name: bench, image: "linkswitch-test-app:bench-v1", port: 8080 }',
    'health: { path: /health }',
    'haproxy:',
    `  bind: "127.0.0.1:${bindPort}"`,
    `  adminSocket: ${JSON.stringify(path.join(dir, 'admin.sock'))}`,
    `  configFile: ${JSON.stringify(path.join(dir, 'haproxy.cfg'))}`,
    `  templateDir: ${JSON.stringify(options.templateDir)}`,
    `  retries: ${retries}`,
    '  hardStopAfter: 30s',
    `  check: { inter: ${check.inter}, rise: ${check.rise}, fall: ${check.fall} }`,
    '',
  ].join('\n');
  const settings = parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
  const observed: Observed = { blue: null, green: null };
  for (const { colour, port } of options.servers) {
    observed[colour] = observedContainer(colour, { address: { host: '127.0.0.1', port } });
  }
  const context = buildHaproxyContext(settings, 'blue', observed);
  context.servers = context.servers.map((server) => ({ ...server, weight: 100, linked: true }));
  context.backends = context.backends.map((b) => ({ ...b, servers: context.servers }));
  // The map files the config names (maintenance mode's, empty), as a linkswitch render writes them.
  for (const map of context.maps) {
    await mkdir(path.dirname(map.file), { recursive: true });
    await writeFile(map.file, map.text);
  }
  return renderHaproxyConfig(settings.haproxy.templateDir, context);
}

/** Starts a plain (not master-worker) HAProxy on the baseline config; `stop` is registered by the caller. */
export async function startBaselineHaproxy(options: BaselineSettings): Promise<{ stop(): Promise<void> }> {
  await mkdir(options.dir, { recursive: true });
  const cfg = await renderBaselineConfig(options);
  const cfgFile = path.join(options.dir, 'haproxy.cfg');
  const pidFile = path.join(options.dir, 'haproxy.pid');
  await writeFile(cfgFile, cfg);
  await execa('haproxy', ['-c', '-q', '-f', cfgFile]);
  await execa('haproxy', ['-D', '-p', pidFile, '-f', cfgFile], { stdin: 'ignore' });
  const stop = async () => {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim().split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('haproxy') || !cmdline.includes(cfgFile)) return; // not ours (any more)
    process.kill(pid, 'SIGUSR1');
    for (let i = 0; i < 60 && existsSync(`/proc/${pid}`); i++) await sleep(50);
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGTERM');
  };
  return { stop };
}
