import { readFile } from 'node:fs/promises';
import { httpGet, versionOf } from './fakes.js';

// The background consistency checker of the fault tests: every 100 ms it asks HAProxy (on a
// fresh connection, so the current worker answers) which version serves a new request, and
// reads the state file to see which version it says is linked. Mismatches are recorded with
// their time; a test allows them only inside windows where a command or a crash is in flight.

export interface CheckerSample {
  at: number;
  served: string | null;
  recorded: string | null;
  error: string | null;
}

export interface Checker {
  samples: CheckerSample[];
  /** Marks a time window in which serving and recording may legitimately disagree. */
  allow(from: number, to: number): void;
  /** Runs `fn` (a command that legitimately switches, or a test that breaks the state file on purpose) inside an allowed window. */
  during<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Stops once it has taken at least `atLeast` samples (bounded by its deadline): how many a test
   * gets must not depend on how fast its commands ran, and a checker that died still fails.
   */
  stop(options?: { atLeast?: number }): Promise<{ samples: CheckerSample[]; violations: CheckerSample[] }>;
}

async function getVersion(port: number): Promise<string> {
  const answer = await httpGet(port);
  if (answer.status >= 500) throw new Error(`HTTP ${answer.status}`);
  return versionOf(answer) ?? '';
}

async function recordedVersion(stateFile: string): Promise<string | null> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    const image: string | undefined = state.colours?.[state.linked]?.image;
    return image ? image.slice(image.lastIndexOf(':') + 1) : null;
  } catch {
    return null;
  }
}

export function startChecker({
  port,
  stateFile,
  maxDurationMs = 300_000,
}: {
  port: number;
  stateFile: string;
  maxDurationMs?: number;
}): Checker {
  const samples: CheckerSample[] = [];
  const windows: Array<[number, number]> = [];
  const deadline = performance.now() + maxDurationMs;
  let stopping = false;
  let finished = false;
  const loop = (async () => {
    while (!stopping && performance.now() < deadline) {
      const at = performance.now();
      const [served, recorded] = await Promise.all([
        getVersion(port).then(
          (v) => ({ v, e: null }),
          (e: Error) => ({ v: null, e: e.message }),
        ),
        recordedVersion(stateFile),
      ]);
      samples.push({ at, served: served.v, recorded, error: served.e });
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - at))));
    }
  })().finally(() => {
    finished = true;
  });
  return {
    samples,
    allow(from, to) {
      windows.push([from, to]);
    },
    async during(fn) {
      const from = performance.now();
      try {
        return await fn();
      } finally {
        windows.push([from, performance.now()]);
      }
    },
    async stop({ atLeast = 0 } = {}) {
      while (samples.length < atLeast && performance.now() < deadline && !finished)
        await new Promise((r) => setTimeout(r, 100));
      stopping = true;
      await loop;
      const allowed = (t: number) => windows.some(([from, to]) => t >= from && t <= to);
      const violations = samples.filter((s) => s.error !== null || (s.served !== s.recorded && !allowed(s.at)));
      return { samples, violations };
    },
  };
}
