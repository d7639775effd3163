// Pure analysis of one measured run: the load client's samples plus the deploy's timestamps.
// Every time is epoch ms; every figure is explained in the "How each figure is measured"
// section that report.ts writes into results.md.

/** [startedAt, endedAt, status, version, error] as written by load-client.mjs. */
export type Sample = [number, number, number, string | null, string | null];

export interface RunTimes {
  /** The deploy (or rollback, or reload series) was started: the controller process spawned. */
  start: number;
  /** The switch decision: the moment the old version was told to stop taking traffic. */
  decision: number | null;
  /** The controller (CLI, docker-compose, the recipe script) exited. */
  commandEnd: number;
}

export interface RunMetrics {
  requests: number;
  failed: number;
  socketErrors: number;
  http5xx: number;
  /** From `start` to max(commandEnd, the moment from which every request got the new version). */
  wallMs: number;
  commandMs: number;
  /** From `start` to the first request of the all-new tail (null: never reached). */
  allNewMs: number | null;
  /** Both versions answered requests sent in this window (ms; 0 when they never overlapped). */
  bothMs: number;
  /** From the switch decision to the start of the last request the old version answered. */
  switchLatencyMs: number | null;
  p99Ms: number;
  p50Ms: number;
  /** Slowest request sent from `start` to the end of the recording (the deploy and its aftermath). */
  maxAfterMs: number;
  p99AfterMs: number;
  /** Longest time between two successful responses (by arrival) around the deploy: the outage. */
  maxGapMs: number;
  /** When that gap began, ms from the start (negative: before the deploy started). */
  maxGapAtMs: number | null;
  maxMs: number;
  errorKinds: Record<string, number>;
  firstNewAt: number | null;
  lastOldAt: number | null;
  doneAt: number;
}

export const isFailure = (s: Sample) => s[4] !== null || s[2] === 0 || s[2] >= 500;

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

export function analyse(
  samples: Sample[],
  times: RunTimes,
  oldVersion: string | null,
  newVersion: string | null,
): RunMetrics {
  const bySent = [...samples].sort((a, b) => a[0] - b[0]);
  const failedSamples = bySent.filter(isFailure);
  const errorKinds: Record<string, number> = {};
  for (const s of failedSamples) errorKinds[s[4] ?? `status ${s[2]}`] = (errorKinds[s[4] ?? `status ${s[2]}`] ?? 0) + 1;

  let firstNewAt: number | null = null;
  let lastOldAt: number | null = null;
  for (const s of bySent) {
    if (isFailure(s)) continue;
    if (newVersion !== null && s[3] === newVersion && s[0] >= times.start && firstNewAt === null) firstNewAt = s[0];
    if (oldVersion !== null && s[3] === oldVersion) lastOldAt = s[0];
  }

  // The all-new tail: the first request after which every request sent succeeded with the new version.
  let allNewAt: number | null = null;
  if (newVersion !== null) {
    for (let i = bySent.length - 1; i >= 0; i--) {
      const s = bySent[i]!;
      if (isFailure(s) || s[3] !== newVersion) break;
      allNewAt = s[0];
    }
  } else {
    allNewAt = times.start; // a reload series: no version change to wait for
  }
  const doneAt = Math.max(times.commandEnd, allNewAt ?? times.commandEnd);
  const during = bySent.filter((s) => s[0] >= times.start && s[0] <= doneAt).map((s) => s[1] - s[0]);
  const after = bySent.filter((s) => s[0] >= times.start).map((s) => s[1] - s[0]);
  // Successful arrivals from just before the start to the end of the recording.
  const okArrivals = samples
    .filter((s) => !isFailure(s) && s[1] >= times.start - 100)
    .map((s) => s[1])
    .sort((a, b) => a - b);
  let maxGapMs = 0;
  let maxGapAtMs: number | null = null;
  for (let i = 1; i < okArrivals.length; i++) {
    const gap = okArrivals[i]! - okArrivals[i - 1]!;
    if (gap > maxGapMs) {
      maxGapMs = gap;
      maxGapAtMs = okArrivals[i - 1]! - times.start;
    }
  }
  if (okArrivals.length === 0) maxGapMs = Number.NaN;
  const bothMs = firstNewAt !== null && lastOldAt !== null ? Math.max(0, lastOldAt - firstNewAt) : 0;
  const switchLatencyMs =
    times.decision === null || oldVersion === null
      ? null
      : lastOldAt === null
        ? 0
        : Math.max(0, lastOldAt - times.decision);
  return {
    requests: samples.length,
    failed: failedSamples.length,
    socketErrors: failedSamples.filter((s) => s[2] === 0).length,
    http5xx: failedSamples.filter((s) => s[2] >= 500).length,
    wallMs: doneAt - times.start,
    commandMs: times.commandEnd - times.start,
    allNewMs: allNewAt === null ? null : allNewAt - times.start,
    bothMs,
    switchLatencyMs,
    p99Ms: quantile(during, 0.99),
    p50Ms: quantile(during, 0.5),
    maxGapMs,
    maxGapAtMs,
    maxMs: during.length ? Math.max(...during) : Number.NaN,
    maxAfterMs: after.length ? Math.max(...after) : Number.NaN,
    p99AfterMs: quantile(after, 0.99),
    errorKinds,
    firstNewAt,
    lastOldAt,
    doneAt,
  };
}

export interface Bin {
  old: number;
  new: number;
  other: number;
  failed: number;
}

/** Responses per `binMs` by the time they arrived (endedAt), relative to `origin`. */
export function timeline(
  samples: Sample[],
  origin: number,
  fromMs: number,
  toMs: number,
  oldVersion: string | null,
  newVersion: string | null,
  binMs = 100,
): Bin[] {
  const count = Math.max(1, Math.ceil((toMs - fromMs) / binMs));
  const bins: Bin[] = Array.from({ length: count }, () => ({ old: 0, new: 0, other: 0, failed: 0 }));
  for (const s of samples) {
    const i = Math.floor((s[1] - origin - fromMs) / binMs);
    if (i < 0 || i >= count) continue;
    const bin = bins[i]!;
    if (isFailure(s)) bin.failed++;
    else if (s[3] === newVersion) bin.new++;
    else if (s[3] === oldVersion) bin.old++;
    else bin.other++;
  }
  return bins;
}

export function median(values: number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** One line of linkswitch's JSON log (pino). */
export interface LogLine {
  time: number;
  phase?: string;
  msg?: string;
  level?: number;
}

export function parseLogs(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return null;
      }
    })
    .filter((l): l is LogLine => l !== null && typeof l.time === 'number');
}

/**
 * Time per step from the JSON log: `start` → first line (`firstLabel`), then line → next line,
 * last line → `end` (the CLI's exit, or the sidecar's answer).
 */
export function phaseDurations(
  start: number,
  end: number,
  logs: LogLine[],
  firstLabel: string,
): Array<[string, number]> {
  const phases = logs.filter((l) => l.phase);
  const out: Array<[string, number]> = [];
  if (phases.length === 0) return out;
  out.push([firstLabel, phases[0]!.time - start]);
  const seen = new Map<string, number>();
  phases.forEach((line, i) => {
    const n = (seen.get(line.phase!) ?? 0) + 1;
    seen.set(line.phase!, n);
    const label = n > 1 ? `${line.phase} #${n}` : line.phase!;
    const until = phases[i + 1]?.time ?? end;
    out.push([label, until - line.time]);
  });
  return out;
}
