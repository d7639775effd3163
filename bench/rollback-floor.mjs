// The floor under a CLI rollback: a plain Node script (no dependencies, nothing to load) that
// does the I/O a rollback cannot skip, in the same order, and nothing else: take a lock file
// (exclusive create, fsync), read the state file, ask Docker about both colours and HAProxy for
// its view (side by side), send the two weight commands, write a state file atomically (temp,
// fsync, rename, fsync of the directory) and drop the lock. It changes nothing: the weights it
// sends are the ones HAProxy has, and its lock and state files are its own (`floor.*` in the
// run directory). bench/fast-paths.ts times it beside `linkswitch rollback`, so what is left
// between the two is linkswitch's own: loading its code, the config, planning, rendering.
//
// Usage: node rollback-floor.mjs <run dir> <backend>   (DOCKER_HOST=unix:///… is honoured)
// Prints one JSON line, {"phase":"switched","time":<epoch ms>}, once the weights are sent.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const [runDir, backend] = process.argv.slice(2);
if (!runDir || !backend) {
  process.stderr.write('usage: node rollback-floor.mjs <run dir> <backend>\n');
  process.exit(2);
}
const dockerSocket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const adminSocket = path.join(runDir, 'admin.sock');

function writeDurably(file, text, flags) {
  const fd = openSync(file, flags, 0o600);
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
}

function haproxy(command) {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(adminSocket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.end(`${command}\n`);
  });
}

function inspect(name) {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath: dockerSocket, path: `/containers/${name}/json`, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(body))));
    });
    request.on('error', reject);
  });
}

/** `show stat` CSV → { server: weight } of one backend. */
function weightsOf(csv, backendName) {
  const [header, ...rows] = csv.split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const weight = columns.indexOf('weight');
  const weights = {};
  for (const row of rows) {
    const fields = row.split(',');
    if (fields[0] === backendName && fields[1] !== 'BACKEND') weights[fields[1]] = Number(fields[weight]);
  }
  return weights;
}

const lock = path.join(runDir, 'floor.lock');
writeDurably(lock, JSON.stringify({ pid: process.pid, command: 'rollback-floor', at: Date.now() }), 'wx');
try {
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  const linked = state.linked;
  const idle = linked === 'blue' ? 'green' : 'blue';
  const [, , stat] = await Promise.all([
    inspect(state.colours.blue.container),
    inspect(state.colours.green.container),
    haproxy('show stat'),
  ]);
  // The weights HAProxy has now, sent again: the same commands as a switch, changing nothing.
  const weights = weightsOf(stat, backend);
  for (const colour of [linked, idle])
    if (weights[colour] === undefined) throw new Error(`HAProxy has no server ${backend}/${colour}`);
  await haproxy(`set weight ${backend}/${idle} ${weights[idle]}; set weight ${backend}/${linked} ${weights[linked]}`);
  process.stdout.write(`${JSON.stringify({ phase: 'switched', time: Date.now() })}\n`);
  const target = path.join(runDir, 'floor-state.json');
  writeDurably(`${target}.tmp`, JSON.stringify(state), 'w');
  renameSync(`${target}.tmp`, target);
  const dir = openSync(runDir, 'r');
  fsyncSync(dir);
  closeSync(dir);
} finally {
  unlinkSync(lock);
}
