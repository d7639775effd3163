// results.md's section on the hot paths (issue 11): start-up, rollback on the idle machine and
// under load, the sidecar's control API, deploys under the saturating load, the sidecar's
// memory, and every target of the issue with the baseline it is measured against.
import type { FastPathResult } from './fast-paths.js';
import { median } from './metrics.js';
import { cell, fmt, phaseMedians, type RunRecord, ratio, type Scenario, stepMedians } from './report.js';

export interface FastPathReport {
  fast: FastPathResult;
  recreate: Scenario;
  deploy: Scenario;
  rollback: Scenario;
  recreateSaturated: Scenario;
  deploySaturated: Scenario;
  /** The new container's start-to-healthy under the paced load (median, ms). */
  healthyUnderLoadMs: number;
  pacedLoad: string;
}

const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
const mib = (kb: number | null) => (kb === null ? null : kb / 1024);
const walls = (s: Scenario) => s.runs.map((r) => r.metrics.wallMs);
/** Requests sent during the deploy's wall time and answered, per second (run.ts: servedPerS). */
const served = (r: RunRecord) => (typeof r.extra.servedPerS === 'number' ? r.extra.servedPerS : null);

export function renderFastPaths(p: FastPathReport): string {
  const { startup, idleRollback, sidecar } = p.fast;
  const floor = median(startup.floorMs);
  const overFloor = (xs: number[]) => median(xs) - floor;
  const L: string[] = [];
  L.push('## The hot paths: start-up, rollback, the sidecar, a saturating load', '');
  L.push(
    'Start-up and the idle-machine rollbacks run with no load at all; the sidecar path runs under the paced load ' +
      `(${p.pacedLoad}); the saturating load is 100 keep-alive connections, each sending its next request as soon as ` +
      'the previous one is answered (as many requests as the machine serves).',
    '',
  );
  L.push('### Start-up (idle machine, 15 interleaved rounds)', '');
  L.push('| Command | Wall time | Over the `node -e 0` floor |');
  L.push('| --- | ---: | ---: |');
  L.push(`| \`node -e 0\` (the floor) | ${cell(startup.floorMs, ' ms')} | — |`);
  L.push(`| \`linkswitch --version\` | ${cell(startup.versionMs, ' ms')} | +${fmt(overFloor(startup.versionMs))} ms |`);
  L.push(
    `| \`linkswitch status\` (config, state, Docker, HAProxy) | ${cell(startup.statusMs, ' ms')} | +${fmt(overFloor(startup.statusMs))} ms |`,
  );
  L.push(
    `| \`linkswitch status\` without the compile cache (\`LINKSWITCH_COMPILE_CACHE=off\`: the baseline) | ${cell(startup.statusUncachedMs, ' ms')} | +${fmt(overFloor(startup.statusUncachedMs))} ms; the cache takes ${fmt(median(startup.statusUncachedMs) - median(startup.statusMs))} ms off (${ratio(median(startup.statusMs), median(startup.statusUncachedMs))}) |`,
  );
  L.push('');

  L.push('### Rollback and deploy, by path', '');
  L.push('| Path | Rollback | Deploy | Failed requests |');
  L.push('| --- | ---: | ---: | ---: |');
  L.push(
    `| CLI, idle machine | wall ${cell(idleRollback.wallMs, ' ms')}; spawn → weights flipped ${cell(idleRollback.spawnToSwitchMs, ' ms')} | — | (no load) |`,
  );
  L.push(
    `| The floor under it: \`bench/rollback-floor.mjs\`, the same I/O with nothing loaded (idle machine, run before each rollback) | wall ${cell(idleRollback.floorWallMs, ' ms')}; spawn → weights sent ${cell(idleRollback.floorSpawnToSwitchMs, ' ms')} | — | (no load) |`,
  );
  const lsFailed = [...p.deploy.runs, ...p.rollback.runs].reduce((a, r) => a + r.metrics.failed, 0);
  L.push(
    `| CLI, paced load | wall ${cell(walls(p.rollback), ' ms')}; spawn → weights flipped ${cell(
      p.rollback.runs.map((r) => Number(r.extra.spawnToSwitchMs)),
      ' ms',
    )} | ${cell(walls(p.deploy), ' ms')} | ${lsFailed} |`,
  );
  L.push(
    `| Sidecar control API (request → answer, measured by the client), paced load | ${cell(sidecar.rollbackMs, ' ms')} (inside the sidecar: ${cell(sidecar.rollbackInsideMs, ' ms')}; the first after the sidecar started, which loads what a rollback needs: ${fmt(sidecar.firstRollbackMs)} ms) | ${cell(sidecar.deployMs, ' ms')} | ${sidecar.failed} of ${sidecar.requests} (p99 ${fmt(sidecar.p99Ms)} ms) |`,
  );
  L.push(
    `| CLI delegating to the running sidecar, paced load | ${cell(sidecar.delegatedRollbackMs, ' ms')} | — | (same load as above) |`,
  );
  L.push(
    `| Sidecar control API, saturating load | — | ${cell(sidecar.saturatedDeployMs, ' ms')} | ${sidecar.saturatedFailed} of ${sidecar.saturatedRequests} |`,
  );
  L.push('');

  L.push('### Under the saturating load', '');
  L.push(
    '| Scenario | Failed requests | Deploy wall time | Requests answered per second during the deploy | p99 latency during deploy | Longest gap without a successful response |',
  );
  L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const s of [p.recreateSaturated, p.deploySaturated]) {
    L.push(
      `| ${s.title} (${s.runs.length} run${s.runs.length === 1 ? '' : 's'}) | ${cell(s.runs.map((r) => r.metrics.failed))} | ${cell(walls(s), ' ms')} | ${cell(s.runs.map(served))} | ${cell(
        s.runs.map((r) => r.metrics.p99Ms),
        ' ms',
      )} | ${cell(
        s.runs.map((r) => r.metrics.maxGapMs),
        ' ms',
      )} |`,
    );
  }
  L.push('');

  const line = (medians: Map<string, number>) =>
    [...medians]
      .filter(([, ms]) => ms >= 10)
      .map(([k, ms]) => `${k} ${fmt(ms)} ms`)
      .join(', ');
  const steps = (s: Scenario) => line(phaseMedians(s));
  const sidecarLine = line(stepMedians(sidecar.deployPhases ?? []));
  if (sidecarLine)
    L.push(
      `Where the sidecar's deploy goes under the paced load (median per step, from its log, request → answer): ${sidecarLine}. Its old idle container is renamed out of the way (retire-container) and removed once the sidecar has been idle for 10 s, apart from the deploy.`,
      '',
    );
  L.push(
    `Where the CLI deploy's time goes (median per step, from its log): saturating load — ${steps(p.deploySaturated)}; paced load — ${steps(p.deploy)}. ` +
      'Under the saturating load the CPU is shared with the load client, HAProxy, docker-proxy and the app, and each step that computes (Node start-up, the reload, the container start) takes longer.',
    '',
  );

  const pacedRatio = median(walls(p.deploy)) / median(walls(p.recreate));
  const satRatio = median(walls(p.deploySaturated)) / median(walls(p.recreateSaturated));
  const overhead = median(walls(p.deploy)) - p.healthyUnderLoadMs;
  const sidecarOverhead = median(sidecar.deployMs) - p.healthyUnderLoadMs;
  const satFailed = p.deploySaturated.runs.map((r) => r.metrics.failed);
  const peak = Math.max(mib(sidecar.rssIdleKb) ?? 0, mib(sidecar.rssPeakKb) ?? 0);
  L.push('### Targets of the hot paths (goals, not assertions)', '');
  L.push('| Target | Baseline (same run) | Measured | Met? |');
  L.push('| --- | --- | --- | --- |');
  L.push(
    `| \`--version\` ≤ floor + 50 ms | \`node -e 0\` ${fmt(floor)} ms | ${fmt(median(startup.versionMs))} ms (+${fmt(overFloor(startup.versionMs))}) | ${yes(overFloor(startup.versionMs) <= 50)} |`,
  );
  L.push(
    `| \`status\` ≤ floor + 100 ms | \`node -e 0\` ${fmt(floor)} ms | ${fmt(median(startup.statusMs))} ms (+${fmt(overFloor(startup.statusMs))}) | ${yes(overFloor(startup.statusMs) <= 100)} |`,
  );
  const floorSwitch = median(idleRollback.floorSpawnToSwitchMs);
  const floorWall = median(idleRollback.floorWallMs);
  L.push(
    `| Rollback: CLI spawn → weights flipped < 100 ms | the same I/O with nothing loaded ${fmt(floorSwitch)} ms (\`node -e 0\` ${fmt(floor)} ms) | idle ${fmt(median(idleRollback.spawnToSwitchMs))} ms (+${fmt(median(idleRollback.spawnToSwitchMs) - floorSwitch)} over the floor), under load ${fmt(median(p.rollback.runs.map((r) => Number(r.extra.spawnToSwitchMs))))} ms | idle: ${yes(median(idleRollback.spawnToSwitchMs) < 100)}${floorSwitch >= 100 ? ' (the floor itself is over 100 ms)' : ''} |`,
  );
  L.push(
    `| Rollback: CLI wall < 150 ms on the idle machine | the same I/O with nothing loaded ${fmt(floorWall)} ms | ${fmt(median(idleRollback.wallMs))} ms (+${fmt(median(idleRollback.wallMs) - floorWall)}) | ${yes(median(idleRollback.wallMs) < 150)} |`,
  );
  L.push(
    `| Rollback through the running sidecar < 30 ms end to end | — | ${fmt(median(sidecar.rollbackMs))} ms | ${yes(median(sidecar.rollbackMs) < 30)} |`,
  );
  L.push(
    `| Deploy overhead over the new container's start-to-healthy < 300 ms | start-to-healthy under the paced load ${fmt(p.healthyUnderLoadMs)} ms | CLI +${fmt(overhead)} ms; sidecar +${fmt(sidecarOverhead)} ms | CLI: ${yes(overhead < 300)}; sidecar: ${yes(sidecarOverhead < 300)} |`,
  );
  const sidecarSatRatio = median(sidecar.saturatedDeployMs) / median(walls(p.recreateSaturated));
  L.push(
    `| Deploy wall ≤ 1.0× \`docker-compose up -d\` recreate, same load | recreate ${fmt(median(walls(p.recreate)))} ms paced, ${fmt(median(walls(p.recreateSaturated)))} ms saturating | CLI: ${ratio(median(walls(p.deploy)), median(walls(p.recreate)))} paced, ${ratio(median(walls(p.deploySaturated)), median(walls(p.recreateSaturated)))} saturating; sidecar: ${ratio(median(sidecar.saturatedDeployMs), median(walls(p.recreateSaturated)))} saturating | paced: ${yes(pacedRatio <= 1)}; saturating: CLI ${yes(satRatio <= 1)}, sidecar ${yes(sidecarSatRatio <= 1)} |`,
  );
  L.push(
    `| … with zero failed requests (compose's figure beside it) | recreate failed ${cell(p.recreate.runs.map((r) => r.metrics.failed))} paced, ${cell(p.recreateSaturated.runs.map((r) => r.metrics.failed))} saturating | CLI deploys failed: ${satFailed.join(', ')} (saturating); sidecar: ${sidecar.saturatedFailed} | ${yes(satFailed.every((f) => f === 0) && sidecar.saturatedFailed === 0)} |`,
  );
  L.push(
    `| Sidecar resident memory < 50 MiB idle and during deploys | a bare \`node\` with the same flags, idle: ${fmt(mib(sidecar.bareNodeRssKb))} MiB | idle ${fmt(mib(sidecar.rssIdleKb))} MiB, peak ${fmt(mib(sidecar.rssPeakKb))} MiB (after: ${fmt(mib(sidecar.rssAfterKb))} MiB) | ${yes(peak > 0 && peak < 50)} |`,
  );
  L.push('');
  L.push(
    'How these are measured: wall times from the bench spawning the process (or sending the request) until it exited (or answered). ' +
      'Spawn → weights flipped is the `time` of the CLI\'s `"phase":"switched"` log line minus the spawn time. ' +
      'The rollback floor (`bench/rollback-floor.mjs`) is a dependency-free Node script that does what a rollback cannot skip and nothing else: ' +
      'a lock file (exclusive create, fsync), the state file read, both colours inspected on the Docker socket and `show stat` on the admin socket side by side, ' +
      'the two `set weight` commands (with the weights HAProxy has: it changes nothing), a state file written atomically (its own), the lock removed; ' +
      "what lies between it and `linkswitch rollback` is linkswitch's own (its code, the config, planning, rendering and validating the config it writes). " +
      'The bare `node` is `node --lite-mode --max-semi-space-size=1 -e …` idling, its `VmRSS` after 3 s. ' +
      "The sidecar is `node --lite-mode --max-semi-space-size=1 dist/bundle/bin.cjs serve` (the flags of the image's entrypoint) on the bench stack, on the host; " +
      'its memory is `VmRSS` 3 s after it answered its health check (idle) and `VmHWM` after its rollbacks and deploys (peak). ' +
      '"Requests answered per second" counts the requests sent during the deploy wall time that were answered, over that time.',
    '',
  );
  return L.join('\n');
}
