import { readdir, readFile } from 'node:fs/promises';

// HAProxy's CPU and memory, read from /proc: the master and every worker it has now. A worker that
// exits (an old one after a reload) is reaped by the master, so its CPU time lands in the master's
// cutime/cstime and is still counted; its memory counts while it lives, which is the point.

const TICK_MS = 10; // USER_HZ is 100 on Linux

async function stat(pid: number): Promise<{ ppid: number; ticks: number; childTicks: number } | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), ticks: at(14) + at(15), childTicks: at(16) + at(17) };
}

async function rssKb(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
}

async function workersOf(master: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const found: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      if ((await stat(pid))?.ppid === master) found.push(pid);
    }),
  );
  return found;
}

/** CPU milliseconds the master and its workers (living and reaped) have used so far. */
export async function haproxyCpuMs(master: number): Promise<number> {
  const own = await stat(master);
  if (!own) return 0;
  let ticks = own.ticks + own.childTicks;
  for (const pid of await workersOf(master)) ticks += (await stat(pid))?.ticks ?? 0;
  return ticks * TICK_MS;
}

/** Resident memory of the master and all its workers now, in KiB. */
export async function haproxyRssKb(master: number): Promise<number> {
  let total = await rssKb(master);
  for (const pid of await workersOf(master)) total += await rssKb(pid);
  return total;
}

/** Samples haproxyRssKb every `everyMs` until stopped; resolves the peak and the mean. */
export function sampleRss(master: number, everyMs = 100): { stop(): Promise<{ peakKb: number; meanKb: number }> } {
  const values: number[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      values.push(await haproxyRssKb(master));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      const peakKb = Math.max(0, ...values);
      const meanKb = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
      return { peakKb, meanKb };
    },
  };
}
