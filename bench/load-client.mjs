// Keep-alive HTTP load for the benchmark, run as a child process (fork) so the orchestrator's own
// work never stalls the client. Only 127.0.0.1; bounded in time and in request count.
//
// `connections` loops, each with its own persistent connection (an Agent with one socket), each
// paced to `ratePerConn` requests per second: after a response, the loop waits for its next slot,
// and never bursts to catch up after a slow request. So every scenario sees the same offered load
// (connections × ratePerConn) whether requests succeed, fail fast with a 503, or hang.
// ratePerConn 0 is the saturating load: each connection sends its next request as soon as the
// previous one is answered, so the machine serves as many as it can.
//
// Messages from the parent:
//   { cmd: 'start', port, connections, ratePerConn, maxMs, maxRequests }
//   { cmd: 'await', id, version, count, timeoutMs } → { cmd: 'awaited', id, ok }
//       resolves once `count` consecutive responses were successful and answered by `version`
//   { cmd: 'stop', file } → { cmd: 'stopped', count }: samples written to `file` as JSON
// A sample is [startedAt, endedAt, status, version, error] with times in epoch ms (sub-ms).
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const now = () => performance.timeOrigin + performance.now();
const samples = [];
let stopping = false;
let loops = [];
let streak = { version: null, n: 0 };
let waiters = [];

function record(sample) {
  samples.push(sample);
  const ok = sample[4] === null && sample[2] > 0 && sample[2] < 500;
  if (ok && sample[3] === streak.version) streak.n++;
  else streak = { version: ok ? sample[3] : null, n: ok ? 1 : 0 };
  if (waiters.length) {
    waiters = waiters.filter((w) => {
      if (streak.version === w.version && streak.n >= w.count) {
        clearTimeout(w.timer);
        process.send({ cmd: 'awaited', id: w.id, ok: true });
        return false;
      }
      return true;
    });
  }
}

function once(port, agent) {
  return new Promise((resolve) => {
    const startedAt = now();
    let done = false;
    const finish = (status, version, error) => {
      if (done) return;
      done = true;
      record([startedAt, now(), status, version, error]);
      resolve();
    };
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        finish(status, response.headers['x-version'] ?? null, status >= 500 ? `HTTP ${status}` : null);
      });
      response.on('error', (error) => finish(0, null, error.code ?? error.message));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('request timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error) => finish(0, null, error.code ?? error.message));
  });
}

async function loop(index, { port, connections, ratePerConn, maxRequests }, deadline) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const interval = ratePerConn > 0 ? 1000 / ratePerConn : 0;
  // Stagger the loops so requests are spread evenly over each interval.
  let next = now() + (index * interval) / connections;
  await sleep(Math.max(0, next - now()));
  while (!stopping && now() < deadline && samples.length < maxRequests) {
    await once(port, agent);
    if (interval === 0) continue;
    next = Math.max(next + interval, now());
    const wait = next - now();
    if (wait > 0.5) await sleep(wait);
  }
  agent.destroy();
}

process.on('message', async (message) => {
  if (message.cmd === 'start') {
    const deadline = now() + message.maxMs;
    loops = Array.from({ length: message.connections }, (_, i) => loop(i, message, deadline));
    process.send({ cmd: 'started' });
  } else if (message.cmd === 'await') {
    const waiter = { ...message };
    waiter.timer = setTimeout(() => {
      waiters = waiters.filter((w) => w !== waiter);
      process.send({ cmd: 'awaited', id: message.id, ok: false });
    }, message.timeoutMs);
    waiters.push(waiter); // the next response re-evaluates the streak
  } else if (message.cmd === 'stop') {
    stopping = true;
    await Promise.all(loops);
    writeFileSync(message.file, JSON.stringify(samples));
    process.send({ cmd: 'stopped', count: samples.length }, () => process.exit(0));
  }
});

// The parent went away (crash, Ctrl-C): do not linger.
process.on('disconnect', () => process.exit(0));
