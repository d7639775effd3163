// Runs N HAProxy reloads back to back through linkswitch's own reload path: the Haproxy adapter
// class (src/adapters/haproxy.ts, compiled to dist/ by `npm run build`) and its reload(), which
// sends `reload` to the master socket and waits until a new worker is up and no reload failed.
// Usage: node bench/reload-worker.mjs <linkswitch.yml> <count>
// Prints one JSON document on stdout: [{ startedAt, endedAt, error }] with epoch-ms times.
import { systemClock } from '../dist/adapters/clock.js';
import { Haproxy } from '../dist/adapters/haproxy.js';
import { containerLayout } from '../dist/app/engine.js';
import { loadConfig } from '../dist/config/load.js';

const [file, countArg] = process.argv.slice(2);
const count = Math.min(Number(countArg ?? 100), 1000);
const config = await loadConfig(file);
// The container engine's layout, as the CLI's: each reload carries the serving servers' state.
const haproxy = new Haproxy(config, systemClock, containerLayout(config));
const now = () => performance.timeOrigin + performance.now();
const results = [];
for (let i = 0; i < count; i++) {
  const startedAt = now();
  let error = null;
  try {
    await haproxy.reload();
  } catch (e) {
    error = e?.shortMessage ?? e?.message ?? String(e);
  }
  results.push({ startedAt, endedAt: now(), error });
}
process.stdout.write(`${JSON.stringify(results)}\n`);
