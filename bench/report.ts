// results.md: machine header, the results table (median and min–max per figure), linkswitch as
// ratios of the baselines measured in the same run, the targets, a per-step time breakdown of
// linkswitch from its own log, and how every figure is measured.
import { median, type RunMetrics, type RunTimes } from './metrics.js';

export interface RunRecord {
  rep: number;
  oldVersion: string | null;
  newVersion: string | null;
  times: RunTimes;
  metrics: RunMetrics;
  rssKb: number | null;
  extra: Record<string, unknown>;
}

export interface Scenario {
  key: 'recreate' | 'blog' | 'ls-deploy' | 'ls-rollback' | 'reloads' | 'recreate-saturated' | 'ls-deploy-saturated';
  title: string;
  short: string;
  note: string;
  runs: RunRecord[];
}

export interface BenchData {
  machine: {
    date: string;
    nproc: number;
    memoryGiB: number;
    cpu: string;
    kernel: string;
    haproxy: string;
    dockerServer: string;
    dockerClient: string;
    compose: string | null;
    node: string;
    git: string;
  };
  reps: number;
  reloads: number;
  load: { connections: number; ratePerConn: number; maxMs: number; maxRequests: number };
  preMs: number;
  postMs: number;
  check: { inter: string; rise: number; fall: number };
  retries: number;
  startToHealthy: Array<{ totalMs: number; dockerRunMs: number }>;
  startToHealthyUnderLoad: Array<{ totalMs: number; dockerRunMs: number }>;
  cliFloorMs: number[];
  backgroundBusyPct: number | null;
  backgroundBusyAfterPct: number | null;
  scenarios: Scenario[];
  runtimeS: number;
}

export const fmt = (v: number | null | undefined, unit = '') => {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v);
  const s = abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(0) : abs === 0 ? '0' : v.toFixed(1);
  return `${s}${unit}`;
};

export function cell(values: Array<number | null>, unit = ''): string {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return 'n/a';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const m = median(xs);
  if (xs.length === 1 || fmt(lo) === fmt(hi)) return `${fmt(m)}${unit}`;
  return `${fmt(m)}${unit} (${fmt(lo)}–${fmt(hi)})`;
}

type Figure = { label: string; get: (r: RunRecord) => number | null; unit: string };
const FIGURES: Figure[] = [
  { label: 'Failed requests', get: (r) => r.metrics.failed, unit: '' },
  { label: 'Deploy wall time', get: (r) => r.metrics.wallMs, unit: ' ms' },
  { label: 'Both versions answering', get: (r) => r.metrics.bothMs, unit: ' ms' },
  { label: 'Switch latency', get: (r) => r.metrics.switchLatencyMs, unit: ' ms' },
  { label: 'p99 latency during deploy', get: (r) => r.metrics.p99Ms, unit: ' ms' },
  { label: 'Longest gap without a successful response', get: (r) => r.metrics.maxGapMs, unit: ' ms' },
  { label: 'Controller peak RSS', get: (r) => (r.rssKb === null ? null : r.rssKb / 1024), unit: ' MB' },
];

export function ratio(ls: number, base: number): string {
  if (!Number.isFinite(ls) || !Number.isFinite(base)) return 'n/a';
  if (base === 0) return ls === 0 ? 'both 0' : `n/a (baseline 0, linkswitch ${fmt(ls)})`;
  if (ls === 0) return `0× (0 vs ${fmt(base)})`;
  const x = ls / base;
  return `${x >= 10 ? x.toFixed(0) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3)}× (${fmt(ls)} vs ${fmt(base)})`;
}

/** The median of each step over runs, each run a list of [step, ms] (bench/metrics.ts phaseDurations). */
export function stepMedians(runs: Array<Array<[string, number]>>): Map<string, number> {
  const acc = new Map<string, number[]>();
  for (const run of runs) for (const [label, ms] of run) acc.set(label, [...(acc.get(label) ?? []), ms]);
  return new Map([...acc].map(([k, v]) => [k, median(v)]));
}

export function phaseMedians(s: Scenario): Map<string, number> {
  return stepMedians(s.runs.map((r) => (r.extra.phases as Array<[string, number]>) ?? []));
}

export function renderMarkdown(d: BenchData): string {
  const by = (key: Scenario['key']) => d.scenarios.find((s) => s.key === key)!;
  const recreate = by('recreate');
  const blog = by('blog');
  const deploy = by('ls-deploy');
  const rollback = by('ls-rollback');
  const reloads = by('reloads');
  const healthyMs = d.startToHealthy.map((h) => h.totalMs);
  const loadedMs = d.startToHealthyUnderLoad.map((h) => h.totalMs);
  // The deploy runs under load, so its floor is the start-to-healthy time under the same load.
  const healthyMedian = median(loadedMs);
  const rate = d.load.connections * d.load.ratePerConn;
  const m = d.machine;
  const L: string[] = [];

  L.push('# linkswitch benchmark results', '');
  L.push(`- **Date:** ${m.date}`);
  L.push(`- **Machine:** ${m.nproc} CPUs (\`nproc\`; ${m.cpu}), ${m.memoryGiB} GiB memory, Linux ${m.kernel}`);
  L.push(`- **HAProxy:** ${m.haproxy}`);
  L.push(
    `- **Docker:** engine ${m.dockerServer} (CLI ${m.dockerClient}); docker-compose ${m.compose ?? 'not available'}; Node ${m.node}`,
  );
  const busyNote = (v: number | null) => `${v ?? 'n/a'} %${(v ?? 0) > 15 ? ' (**not idle**)' : ''}`;
  const notIdle = (d.backgroundBusyPct ?? 0) > 15 || (d.backgroundBusyAfterPct ?? 0) > 15;
  L.push(
    `- **linkswitch under test:** git ${m.git}, built with \`npm run build\` (\`dist/bundle/bin.cjs\`, the esbuild bundle that is the package's bin).`,
  );
  L.push(
    `- **Machine CPU busy without the bench** (2 s samples of \`/proc/stat\`, before it started and after it stopped everything): ${busyNote(d.backgroundBusyPct)} / ${busyNote(d.backgroundBusyAfterPct)}${notIdle ? ' — **other processes were using the machine: timings are distorted; rerun on an idle machine**' : ' — the machine was otherwise idle'}.`,
  );
  L.push(
    `- **Bench runtime:** ${d.runtimeS.toFixed(0)} s in total (image builds included); ${d.reps} runs of each deploy scenario, ${d.reloads} reloads once.`,
  );
  L.push(
    `- **Load (every scenario):** ${d.load.connections} keep-alive connections × ${d.load.ratePerConn} req/s = ${rate} req/s offered, \`GET /\` to HAProxy on 127.0.0.1, from a separate Node process (\`bench/load-client.mjs\`); from ${d.preMs / 1000} s before each deploy until ${d.postMs / 1000} s after it is done.`,
  );
  L.push(
    `- **App:** \`linkswitch-test-app:bench-v1\` and \`:bench-v2\` (the test app, \`START_DELAY_MS=1500\`). The new container's own start-to-healthy time (\`docker run\` → first 200 on \`/health\`, polled every 10 ms): **${cell(loadedMs, ' ms')}** under the bench load, ${cell(healthyMs, ' ms')} on the idle machine (\`docker run\` itself returns after ${fmt(median(d.startToHealthyUnderLoad.map((h) => h.dockerRunMs)))} ms under load).`,
  );
  L.push(
    `- **CLI start-up floor:** \`node dist/bundle/bin.cjs --version\` takes ${cell(d.cliFloorMs, ' ms')} on the idle machine (Node loading linkswitch's modules, no work).`,
  );
  L.push(
    `- **HAProxy settings (all scenarios):** \`templates/partials/global.hbs\` and \`defaults.hbs\` (redispatch, retries ${d.retries}, retry-on conn-failure empty-response response-timeout, idle-close-on-response), \`check inter ${d.check.inter} rise ${d.check.rise} fall ${d.check.fall}\`, \`option httpchk GET /health\`.`,
  );
  L.push('');

  L.push(`## Results: median (min–max) over ${d.reps} runs`, '');
  L.push(
    `| Scenario | Failed requests (socket errors + 5xx) | Deploy wall time | Both versions answering new requests | Switch latency | p99 latency during deploy | Longest gap without a successful response | Controller peak RSS |`,
  );
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const saturated = d.scenarios.filter((s) => s.key.endsWith('-saturated'));
  for (const s of [recreate, blog, deploy, rollback, ...saturated]) {
    const runs = s.runs.length === d.reps ? '' : ` (${s.runs.length} runs)`;
    L.push(`| ${s.title}${runs} | ${FIGURES.map((f) => cell(s.runs.map(f.get), f.unit)).join(' | ')} |`);
  }
  const rl = reloads.runs[0]!;
  L.push(
    `| ${reloads.title} (1 run) | ${rl.metrics.failed} | ${fmt(rl.metrics.wallMs)} ms for ${d.reloads} (median ${fmt(rl.extra.reloadMedianMs as number)} ms, max ${fmt(rl.extra.reloadMaxMs as number)} ms per reload) | n/a (one version) | n/a | ${fmt(rl.metrics.p99Ms)} ms | ${fmt(rl.metrics.maxGapMs)} ms | ${fmt(rl.rssKb === null ? null : rl.rssKb / 1024)} MB |`,
  );
  L.push('');
  L.push(
    'Latency detail (ms, median (min–max) over the runs): "during" is the deploy wall time; "until the end" adds the 1.5 s recorded after it, where the aftermath of a deploy shows (e.g. requests HAProxy still sends to a server that was just stopped, retried after its 1 s turn-around).',
    '',
  );
  L.push('| Scenario | p50 during | p99 during | max during | p99 until the end | max until the end |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const s of d.scenarios) {
    const c = (f: (r: RunRecord) => number) => cell(s.runs.map(f));
    L.push(
      `| ${s.short} | ${c((r) => r.metrics.p50Ms)} | ${c((r) => r.metrics.p99Ms)} | ${c((r) => r.metrics.maxMs)} | ${c((r) => r.metrics.p99AfterMs)} | ${c((r) => r.metrics.maxAfterMs)} |`,
    );
  }
  L.push('');
  L.push(
    `Requests per run: ${d.scenarios.map((s) => `${s.short} ${cell(s.runs.map((r) => r.metrics.requests))}`).join('; ')}.`,
  );
  L.push('');
  L.push(
    `Machine CPU busy (all ${m.nproc} cores, \`/proc/stat\`) while the controller ran: ${d.scenarios
      .map(
        (s) =>
          `${s.short} ${cell(
            s.runs.map((r) => (r.extra.cpuBusyPct as number | null) ?? null),
            ' %',
          )}`,
      )
      .join('; ')}.`,
  );
  L.push('');

  L.push('## linkswitch relative to the baselines (ratio of medians, same run)', '');
  L.push(
    'A baseline "rollback" is the same procedure as its deploy (the runs alternate v1 → v2 and v2 → v1), so rollback is compared with the baseline deploys.',
    '',
  );
  L.push('| Figure | deploy ÷ recreate | deploy ÷ blog recipe | rollback ÷ recreate | rollback ÷ blog recipe |');
  L.push('| --- | --- | --- | --- | --- |');
  for (const f of FIGURES) {
    const med = (s: Scenario) => median(s.runs.map(f.get).filter((v): v is number => v !== null));
    L.push(
      `| ${f.label}${f.unit ? ` (${f.unit.trim()})` : ''} | ${ratio(med(deploy), med(recreate))} | ${ratio(med(deploy), med(blog))} | ${ratio(med(rollback), med(recreate))} | ${ratio(med(rollback), med(blog))} |`,
    );
  }
  L.push('');

  // Targets.
  const lsRuns = [...deploy.runs, ...rollback.runs];
  const maxOf = (xs: number[]) => Math.max(...xs);
  const deployWalls = deploy.runs.map((r) => r.metrics.wallMs);
  const rollbackWalls = rollback.runs.map((r) => r.metrics.wallMs);
  const rollbackInProcess = rollback.runs.map((r) => Number(r.extra.durationMs));
  const rollbackToSwitch = rollback.runs.map((r) => Number(r.extra.spawnToSwitchMs));
  const overhead = median(deployWalls) - healthyMedian;
  const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
  L.push('## Targets for linkswitch (goals, not assertions)', '');
  L.push('| Target | Measured | Met? |');
  L.push('| --- | --- | --- |');
  L.push(
    `| 0 failed requests in every deploy and rollback run | ${lsRuns.map((r) => r.metrics.failed).join(', ')} (deploys, then rollbacks) | ${yes(lsRuns.every((r) => r.metrics.failed === 0))} |`,
  );
  L.push(
    `| Both versions answer new requests for < 100 ms | max ${fmt(maxOf(lsRuns.map((r) => r.metrics.bothMs)))} ms (deploy ${cell(
      deploy.runs.map((r) => r.metrics.bothMs),
      ' ms',
    )}, rollback ${cell(
      rollback.runs.map((r) => r.metrics.bothMs),
      ' ms',
    )}) | ${yes(lsRuns.every((r) => r.metrics.bothMs < 100))} |`,
  );
  L.push(
    `| Deploy time ≤ new container's start-to-healthy + 300 ms | deploy ${cell(deployWalls, ' ms')} vs start-to-healthy under the same load ${fmt(healthyMedian)} ms: +${fmt(overhead)} ms (median), +${fmt(maxOf(deployWalls) - healthyMedian)} ms (worst); against the idle start-to-healthy (${fmt(median(healthyMs))} ms): +${fmt(median(deployWalls) - median(healthyMs))} ms | ${yes(deployWalls.every((w) => w - healthyMedian <= 300))} |`,
  );
  L.push(
    `| Rollback < 100 ms | CLI wall time ${cell(rollbackWalls, ' ms')}; inside the process (\`durationMs\`) ${cell(rollbackInProcess, ' ms')}; CLI spawn → weights flipped ${cell(rollbackToSwitch, ' ms')} | wall: ${yes(rollbackWalls.every((w) => w < 100))}; to the switch: ${yes(rollbackToSwitch.every((w) => w < 100))} |`,
  );
  L.push(
    `| 0 failed requests over ${d.reloads} reloads | ${rl.metrics.failed} failed of ${rl.metrics.requests}; ${String(rl.extra.reloadErrors)} reload errors${rl.extra.firstReloadError ? ` (first: ${String(rl.extra.firstReloadError)})` : ''} | ${yes(rl.metrics.failed === 0 && rl.extra.reloadErrors === 0)} |`,
  );
  L.push('');
  const dpEarly = phaseMedians(deploy);
  const rpEarly = phaseMedians(rollback);
  const startup = dpEarly.get('startup (node, config, lock, observe)');
  const deployExtra = [
    'check-config',
    'apply-config',
    'wait-haproxy-up',
    'check-config #2',
    'switch',
    'switched',
    'record-state',
    'apply-config #2',
    'drain',
    'mark-pending',
    'retire-container',
    'remove-retired',
  ]
    .map((k) => [k, dpEarly.get(k) ?? 0] as const)
    .filter(([, v]) => v >= 20)
    .sort((a, b) => b[1] - a[1]);
  L.push(
    `What bounds these figures (medians, see the step table below): every command starts a Node process that loads linkswitch's modules and then reads config, lock, state, HAProxy's master socket and both containers before its first step — ${fmt(startup)} ms in a deploy and ${fmt(rpEarly.get('startup (node, config, lock, observe)'))} ms in a rollback under load (floor on the idle machine: ${fmt(median(d.cliFloorMs))} ms for \`--version\`). ` +
      `In a rollback, the switch follows check-config (render, and \`haproxy -c\` unless that text was accepted before: ${fmt(rpEarly.get('check-config'))} ms); after it come record-state, the write of the persisted config without a reload, since only the weights changed (apply-config, ${fmt(rpEarly.get('apply-config'))} ms), and drain (${fmt(rpEarly.get('drain'))} ms). ` +
      `A deploy adds to the container's own start (run-container ${fmt(dpEarly.get('run-container'))} ms + wait-healthy ${fmt(dpEarly.get('wait-healthy'))} ms, polled every 100 ms): ${deployExtra.map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ')}.`,
  );
  L.push('');

  // Where linkswitch spends its time.
  const phaseTable = (s: Scenario) => {
    const acc = new Map<string, number[]>();
    for (const r of s.runs)
      for (const [label, ms] of (r.extra.phases as Array<[string, number]>) ?? [])
        acc.set(label, [...(acc.get(label) ?? []), ms]);
    return acc;
  };
  const dp = phaseTable(deploy);
  const rp = phaseTable(rollback);
  L.push('## Where linkswitch spends its time (median per step, from its JSON log)', '');
  L.push(
    'Each step runs from its log line to the next one; "startup" is process spawn → first step line; the last step runs until the process exited. `retire-container` (the old idle container renamed out of the way) and `remove-retired` (its removal, the last step of a deploy, after the switch) appear only when a warm idle colour existed (every run but the first deploy).',
    '',
  );
  L.push('| Step | deploy (ms) | rollback (ms) |');
  L.push('| --- | ---: | ---: |');
  // Rows in execution order: take the longest step list of any run first.
  const orderOf = (sc: Scenario) =>
    [...sc.runs.map((r) => ((r.extra.phases as Array<[string, number]>) ?? []).map(([k]) => k))]
      .sort((a, b) => b.length - a.length)
      .flat();
  for (const label of [...new Set([...orderOf(deploy), ...orderOf(rollback)])])
    L.push(
      `| ${label} | ${dp.has(label) ? cell(dp.get(label)!) : ''} | ${rp.has(label) ? cell(rp.get(label)!) : ''} |`,
    );
  L.push(`| **total (CLI wall time)** | ${cell(deployWalls)} | ${cell(rollbackWalls)} |`);
  L.push('');
  L.push(
    `CPU time of the CLI process (user + system, \`/usr/bin/time\`): deploy ${cell(
      deploy.runs.map((r) => r.extra.cpuMs as number | null),
      ' ms',
    )}, rollback ${cell(
      rollback.runs.map((r) => r.extra.cpuMs as number | null),
      ' ms',
    )}; major page faults: deploy ${cell(deploy.runs.map((r) => r.extra.majorFaults as number | null))}, rollback ${cell(rollback.runs.map((r) => r.extra.majorFaults as number | null))}. Wall time well above CPU time is time spent waiting: for Docker, for HAProxy, for \`haproxy -c\`, or for a CPU shared with the load, HAProxy and the containers.`,
  );
  L.push('');
  const gapPhase = (r: RunRecord): string => {
    const at = r.metrics.maxGapAtMs;
    if (at === null) return 'none';
    if (at < 0) return 'before the command';
    let t = 0;
    for (const [label, ms] of (r.extra.phases as Array<[string, number]>) ?? []) {
      if (at < t + ms) return label.replace(/ #\d+$/, '');
      t += ms;
    }
    return 'after the command exited';
  };
  const gapList = (s: Scenario) => {
    const counts = new Map<string, number>();
    for (const r of s.runs) counts.set(gapPhase(r), (counts.get(gapPhase(r)) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} × ${n}`)
      .join(', ');
  };
  L.push(
    `The step during which each run's longest gap without a successful response began: deploy — ${gapList(deploy)}; rollback — ${gapList(rollback)}.`,
  );
  L.push('');
  L.push(
    `\`switchMs\` reported by the CLI (the runtime-API weight flip alone): deploy ${cell(
      deploy.runs.map((r) => Number(r.extra.switchMs)),
      ' ms',
    )}, rollback ${cell(
      rollback.runs.map((r) => Number(r.extra.switchMs)),
      ' ms',
    )}.`,
  );
  L.push('');

  L.push('## Failures by kind (all runs)', '');
  L.push(
    'The load is closed-loop per connection: a request HAProxy holds (e.g. its 1 s turn-around before retrying a server that refused the connection) holds its connection too, so failure counts understate an outage; the "longest gap without a successful response" column measures the outage itself.',
    '',
  );
  for (const s of d.scenarios) {
    const kinds: Record<string, number> = {};
    for (const r of s.runs) for (const [k, n] of Object.entries(r.metrics.errorKinds)) kinds[k] = (kinds[k] ?? 0) + n;
    const list = Object.entries(kinds).sort((a, b) => b[1] - a[1]);
    L.push(
      `- ${s.short}: ${list.length ? list.map(([k, n]) => `${k} × ${n}`).join(', ') : 'none'}${s.note ? ` — ${s.note}` : ''}`,
    );
  }
  L.push('');

  L.push('## How each figure is measured', '');
  L.push(
    [
      '- **Load.** `bench/load-client.mjs` runs in its own Node process: each of the connections is a keep-alive `http.Agent` with one socket that sends `GET /` and then waits for its next slot (no catch-up bursts), so every scenario gets the same offered load whether requests succeed, fail fast or hang. Each request records when it was sent and answered (epoch ms, sub-ms), the status, the `x-version` header and any socket error. A run is bounded (90 s, 200 000 requests); a request times out after 10 s.',
      '- **Deploy start (t = 0)** is when the bench spawns the controller: `docker-compose up -d` (after the tag was changed in the file), the recipe script, or `node dist/bundle/bin.cjs deploy|rollback --json` (each under `/usr/bin/time -f %M`).',
      '- **Failed requests**: requests that ended in a socket error (reset, hang-up, timeout) or a 5xx status, counted over the whole recorded run (1 s before the deploy until 1.5 s after it is done).',
      "- **Deploy wall time**: from t = 0 until the later of (a) the controller exited and (b) the first request of the all-new tail, i.e. from which every request sent succeeded and was answered by the new version. For `docker-compose up -d`, (b) decides (compose returns as soon as the container started, 1.5 s before the app listens); for linkswitch and the recipe, (a) does. For the reload row: from the worker's spawn until it exited.",
      '- **Both versions answering new requests**: from the send time of the first request the new version answered to the send time of the last request the old version answered; 0 when they do not overlap (recreate: the old one is gone before the new one answers).',
      '- **Switch decision**: linkswitch — the `time` of its `"phase":"switch"` log line (pino, epoch ms; logged right before the runtime-API weight flip); blog recipe — the `date +%s%3N` the script prints right before `docker stop <old>` (the moment it takes the old colour out); recreate — t = 0 (the old container is stopped by the command itself).',
      `- **Switch latency**: from the switch decision to the send time of the last request the old version answered (0 if none was sent after the decision). Resolution: one request interval, ≈ ${fmt(1000 / rate)} ms at ${rate} req/s.`,
      `- **Longest gap without a successful response**: the longest time between two consecutive successful responses (by arrival), from just before t = 0 to the end of the recorded run; a few ms at ${rate} req/s when nothing stalls.`,
      '- **p99 latency during deploy**: 99th percentile of response time (answered or failed) of the requests sent between t = 0 and the end of the deploy wall time.',
      '- **Controller peak RSS**: `/usr/bin/time -f %M` on the controller process, which reports the largest RSS of that process and of any descendant it waited for: the linkswitch CLI (one Node process); the `docker-compose` Python process; for the recipe, the bash script and the `docker` CLI processes it runs (the largest one). The Docker daemon and HAProxy are not counted. For the reload row, the Node process running `bench/reload-worker.mjs`, which imports the compiled `Haproxy` adapter (`dist/adapters/haproxy.js`).',
      '- **Start-to-healthy**: `docker run -d` of the new image with a published port, then `GET /health` every 10 ms until 200; measured in the same bench run on the idle machine and again while the bench load runs against the linkswitch stack (no deploy in progress). The target compares the deploy (which runs under load) with the under-load figure.',
      '- **Timeline** (`bench/timeline.svg`): for each scenario, the run with the median wall time; responses binned per 100 ms by arrival time, stacked old version / new version / failed.',
      '- **Reloads**: `bench/reload-worker.mjs` calls `new Haproxy(config, systemClock, containerLayout(config)).reload()` back to back: the serving servers’ state into `servers.state`, `reload` on the master socket, then polls `show proc` until the reload count rose and a new worker exists (and fails if the master counts a failed reload). The config is the one linkswitch wrote (blue linked, green warm at weight 0).',
    ].join('\n'),
  );
  L.push('');
  L.push('## Setup of each scenario', '');
  L.push(
    [
      recreate.note.startsWith('FALLBACK')
        ? `- **Recreate (fallback)**: ${recreate.note}. Each run is \`docker rm -f bench-compose-app\` (SIGKILL) then \`docker run -d --name bench-compose-app -p 127.0.0.1:<same port>:8080 <new image>\`; HAProxy (own process, \`haproxy -D\`) has one server on that port.`
        : `- **Recreate**: one service in a compose file (\`container_name: bench-compose-app\`, \`network_mode: bridge\`, \`ports: 127.0.0.1:<fixed port>:8080\`); HAProxy (own process, \`haproxy -D\`) has one server on that port. Each run rewrites the image tag in the file and runs \`docker-compose -p benchcompose up -d\`, which stops the old container (SIGTERM; the app closes its listener), removes it and starts the new one. ${recreate.note}`,
      '- **Blog recipe**: HAProxy (own process) has two servers, blue and green, on fixed published ports, equal weights, both checked. The script: `docker run -d` the idle colour with the new image; `sleep 5`; `docker stop` the old colour; `docker rm` it. Between runs the colours alternate.',
      `- **linkswitch**: service \`bench-ls\` in its own temp dir (config as in \`test/support/stack.ts\`: \`health.interval 100ms\`, \`haproxy.check.inter ${d.check.inter}\`, published ports), brought up once with \`linkswitch up\` (v1 on blue). Each run is \`linkswitch deploy --image …:bench-v2 --json\` (v1 → v2, rebuilding the idle colour) followed, in a separate measured run, by \`linkswitch rollback --json\` (v2 → v1, to the warm colour).`,
      "- Everything is stopped at the end, on success or failure: the `bench-*` containers, the baseline HAProxy processes (by their pid files), `linkswitch down` for the linkswitch stack, the load clients, the temp dirs. The `linkswitch-test-app:*` images stay (Docker's cache makes the next run fast).",
    ].join('\n'),
  );
  L.push('');
  return `${L.join('\n')}\n`;
}
