// Canary deploys: the new colour takes a growing share of traffic (through the runtime API's
// weights) while the old colour stays linked, and at every poll its figures over the step so far
// are compared with the old colour's over the same window. Pure: counters in, verdict out.

export interface CanarySettings {
  /** Percent of traffic the new colour gets at each step; 100 follows the last one. */
  steps: number[];
  /** Time per step. */
  dwell: number;
  /** How often the figures are compared (and an abort takes effect). */
  poll: number;
  /** Requests the new colour must have answered in the window before it is judged. */
  minRequests: number;
  /** The new colour's error ratio may exceed the old colour's by at most this (0.02 = 2 points). */
  maxErrorRate: number;
  /** The new colour's average response time may be at most this multiple of the old colour's… */
  maxLatencyRatio: number;
  /** …and only an increase above this many ms counts (a 1 ms → 3 ms change is noise). */
  minLatencyIncrease: number;
}

export const DEFAULT_CANARY: CanarySettings = {
  steps: [1, 10, 50],
  dwell: 30_000,
  poll: 1_000,
  minRequests: 20,
  maxErrorRate: 0.02,
  maxLatencyRatio: 2,
  minLatencyIncrease: 25,
};

/** One server's cumulative counters from HAProxy's `show stat`. */
export interface ServerCounters {
  /** HTTP responses of every class (hrsp_1xx … hrsp_other). */
  responses: number;
  http5xx: number;
  /** Response errors (eresp) and connection errors (econ). */
  errResp: number;
  errConn: number;
  /** Retries (wretr) and redispatches (wredis) away from this server. */
  retries: number;
  redispatches: number;
  /** HAProxy's average response time over the server's last 1024 requests, ms. */
  rtimeMs: number;
}

/** A colour HAProxy has not counted anything for (or does not list). */
export const ZERO_COUNTERS: ServerCounters = {
  responses: 0,
  http5xx: 0,
  errResp: 0,
  errConn: 0,
  retries: 0,
  redispatches: 0,
  rtimeMs: 0,
};

export interface WindowFigures {
  attempts: number;
  errors: number;
  errorRate: number;
  retries: number;
  rtimeMs: number;
}

/** What a colour did between two readings of its counters. */
export function windowFigures(start: ServerCounters, now: ServerCounters): WindowFigures {
  const d = (key: keyof ServerCounters) => Math.max(0, now[key] - start[key]);
  const errors = d('http5xx') + d('errResp') + d('errConn');
  // A connection error or a response error has no HTTP status: count it as an attempt too.
  const attempts = d('responses') + d('errResp') + d('errConn');
  return {
    attempts,
    errors,
    errorRate: attempts === 0 ? 0 : errors / attempts,
    retries: d('retries') + d('redispatches'),
    rtimeMs: now.rtimeMs,
  };
}

export type Verdict =
  | { kind: 'wait'; reason: string }
  | { kind: 'ok' }
  | { kind: 'abort'; figure: 'error rate' | 'response time' | 'traffic'; detail: string };

/** Compares the new colour's window with the old colour's under the thresholds. */
export function judge(fresh: WindowFigures, old: WindowFigures, settings: CanarySettings): Verdict {
  if (fresh.attempts < settings.minRequests)
    return { kind: 'wait', reason: `${fresh.attempts} of ${settings.minRequests} requests to judge on` };
  if (fresh.errorRate > old.errorRate + settings.maxErrorRate) {
    return {
      kind: 'abort',
      figure: 'error rate',
      detail:
        `${percent(fresh.errorRate)} of ${fresh.attempts} requests failed on the new colour ` +
        `(${fresh.errors} errors, ${fresh.retries} retried elsewhere) against ${percent(old.errorRate)} ` +
        `on the old colour; the limit is +${percent(settings.maxErrorRate)}`,
    };
  }
  const slower = fresh.rtimeMs - old.rtimeMs;
  if (
    old.attempts > 0 &&
    slower > settings.minLatencyIncrease &&
    fresh.rtimeMs > old.rtimeMs * settings.maxLatencyRatio
  ) {
    return {
      kind: 'abort',
      figure: 'response time',
      detail:
        `the new colour answers in ${fresh.rtimeMs} ms on average against ${old.rtimeMs} ms on the old ` +
        `colour (×${(fresh.rtimeMs / Math.max(1, old.rtimeMs)).toFixed(1)}; the limit is ×${settings.maxLatencyRatio})`,
    };
  }
  return { kind: 'ok' };
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** The weights for a step: the new colour gets `percent` of the traffic, the old the rest. */
export function stepWeights(percent: number): { fresh: number; old: number } {
  const fresh = Math.max(0, Math.min(100, Math.round(percent)));
  return { fresh, old: 100 - fresh };
}

/** A running canary's or watch window's view at its last poll, for `status`. */
export interface LiveJudgement {
  kind: 'canary' | 'watch';
  colour: string;
  /** The new colour's share (canary) or 100 (watch). */
  percent: number;
  /** When the current step (or the window) ends. */
  until: string;
  fresh: WindowFigures;
  old: WindowFigures;
  at: string;
}
