import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SidecarClient } from '../cli/remote.js';
import { LockHeldError, NotWarmError } from '../core/errors.js';
import type { CommandResult, StatusReport } from '../core/service.js';
import { initialState } from '../core/state.js';
import { type ControlApi, type ControlHandlers, startControlApi } from './control-api.js';
import { RemoteError, SidecarError, TokenRefusedError } from './errors.js';
import type { DeployRequest } from './protocol.js';
import { tokenFromEnv } from './token.js';

// The control API on a real unix socket and TCP port, with the CLI's client, and fake verbs.

const TOKEN = 'a'.repeat(24) + '0123456789abcdef'.repeat(3) + 'feed'.repeat(4);
const log = pino({ level: 'silent' });
const result = (image: string): CommandResult => ({
  plan: [{ kind: 'switch', from: 'blue', to: 'green' }],
  report: { switchMs: 0.5, configChanged: true, stepsRun: ['switch'], hooks: [] },
  state: {
    ...initialState('web'),
    linked: 'green',
    colours: { blue: null, green: { image, container: 'web-green', deployedAt: 'now' } },
  },
  durationMs: 12,
});

/** The HTTP status the API answers a raw request with (0: the connection was cut first). */
function rawStatus(socketPath: string, method: string, route: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request({ socketPath, method, path: route }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

describe('control API', () => {
  let dir: string;
  let api: ControlApi | null;
  let requests: DeployRequest[];
  let handlers: ControlHandlers;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-api-'));
    requests = [];
    handlers = {
      health: () => ({ ok: true, phase: 'serving' }),
      status: async () => ({ service: 'web', linked: 'green' }) as StatusReport,
      deploy: async (request) => {
        requests.push(request);
        if (request.image === 'busy:1') throw new LockHeldError('another linkswitch holds the lock', { fix: 'wait' });
        return result(request.image ?? 'app:1');
      },
      rollback: async () => {
        throw new NotWarmError('cannot roll back to blue: blue has no container', {
          fix: 'deploy instead',
          detail: 'more',
        });
      },
      metrics: () => 'linkswitch_deploys_total{service="web"} 0\n',
    };
    api = null;
  });

  afterEach(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the verbs on a mode-600 unix socket, and errors keep their code, exit code and fix', async () => {
    const socketPath = path.join(dir, 'control.sock');
    api = await startControlApi({ socketPath, listen: null, token: null, handlers, log });
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    const client = new SidecarClient({ label: 'unix', socketPath });
    expect(await client.health()).toEqual({ ok: true, phase: 'serving' });
    expect((await client.status()) as StatusReport).toMatchObject({ linked: 'green' });
    expect((await client.deploy({ image: 'app:2', lockWaitMs: 500 })).state.colours.green?.image).toBe('app:2');
    expect(requests).toEqual([{ service: undefined, image: 'app:2', dryRun: undefined, lockWaitMs: 500 }]);

    const held = await client.deploy({ image: 'busy:1' }).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(RemoteError);
    expect(held).toMatchObject({ code: 'LOCK_HELD', exitCode: 4, fix: 'wait' });
    const refused = await client.rollback({}).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'COLOUR_NOT_WARM',
      exitCode: 5,
      detail: 'more',
      shortMessage: 'cannot roll back to blue: blue has no container; deploy instead',
    });
  });

  it('streams a followed verb: each progress report as it happens, then the result or the error', async () => {
    const socketPath = path.join(dir, 'control.sock');
    let releaseDeploy: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      releaseDeploy = resolve;
    });
    handlers.deploy = async (request, sink) => {
      const progress = sink?.('web');
      progress?.phase('run-container', { step: 'create and start green', colour: 'green', env: { A: 'secret' } });
      progress?.detail?.('health: starting');
      progress?.output?.('a hook line');
      progress?.warn('slow', { token: 'secret-token', seconds: 3, nested: { a: 1 } });
      await held;
      if (request.image === 'busy:1') throw new LockHeldError('another linkswitch holds the lock', { fix: 'wait' });
      return result(request.image ?? 'app:1');
    };
    api = await startControlApi({ socketPath, listen: null, token: null, handlers, log });
    const client = new SidecarClient({ label: 'unix', socketPath });
    const seen: unknown[] = [];
    const sink = (service: string) => ({
      phase: (name: string, fields?: Record<string, unknown>) => seen.push([service, 'phase', name, fields]),
      warn: (message: string, fields?: Record<string, unknown>) => seen.push([service, 'warn', message, fields]),
      detail: (text: string) => seen.push([service, 'detail', text]),
      output: (line: string) => seen.push([service, 'output', line]),
    });
    const deploying = client.deploy({ image: 'app:3' }, sink);
    // The reports arrive while the verb still runs, not with its answer.
    for (let i = 0; i < 100 && seen.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([
      ['web', 'phase', 'run-container', { step: 'create and start green', colour: 'green' }],
      ['web', 'detail', 'health: starting'],
      ['web', 'output', 'a hook line'],
      ['web', 'warn', 'slow', { seconds: 3 }],
    ]);
    releaseDeploy();
    expect((await deploying).state.colours.green?.image).toBe('app:3');
    const failed = await client.deploy({ image: 'busy:1' }, sink).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RemoteError);
    expect(failed).toMatchObject({ code: 'LOCK_HELD', exitCode: 4, fix: 'wait' });
    // A request the sidecar refuses before the verb runs is still an HTTP error.
    const invalid = await client.rollback({ lockWaitMs: -1 }, sink).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'REQUEST_INVALID', exitCode: 2 });
  });

  it('follows a sidecar that answers plain JSON (one from before the stream) to its outcome', async () => {
    const socketPath = path.join(dir, 'old.sock');
    const old = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result('app:4')));
      });
    });
    await new Promise<void>((resolve) => old.listen(socketPath, resolve));
    try {
      const client = new SidecarClient({ label: 'unix', socketPath });
      const deployed = await client.deploy({ image: 'app:4' }, () => ({ phase: () => {}, warn: () => {} }));
      expect(deployed.state.colours.green?.image).toBe('app:4');
    } finally {
      await new Promise((resolve) => old.close(resolve));
    }
  });

  it('is a lost connection when a followed answer ends before its outcome', async () => {
    const socketPath = path.join(dir, 'cut.sock');
    const cut = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.write('{"progress":"phase","service":"web","name":"wait-healthy","fields":{}}\n');
        setTimeout(() => response.socket?.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => cut.listen(socketPath, resolve));
    try {
      const client = new SidecarClient({ label: 'unix', socketPath });
      const phases: string[] = [];
      const error = await client
        .rollback({}, () => ({ phase: (name: string) => phases.push(name), warn: () => {} }))
        .catch((e: unknown) => e);
      expect(phases).toEqual(['wait-healthy']);
      expect(error).toBeInstanceOf(SidecarError);
      expect(String((error as SidecarError).message)).toMatch(
        /lost the connection to the sidecar at unix during rollback/,
      );
    } finally {
      await new Promise((resolve) => cut.close(resolve));
    }
  });

  it('refuses a second sidecar on the same socket', async () => {
    const socketPath = path.join(dir, 'control.sock');
    api = await startControlApi({ socketPath, listen: null, token: null, handlers, log });
    await expect(startControlApi({ socketPath, listen: null, token: null, handlers, log })).rejects.toBeInstanceOf(
      SidecarError,
    );
  });

  it('requires the bearer token on TCP for everything but the health check', async () => {
    const socketPath = path.join(dir, 'control.sock');
    const { freePort } = await import('../../test/support/stack.js');
    const port = await freePort();
    const token = tokenFromEnv({ LINKSWITCH_TOKEN: TOKEN }, () => undefined);
    api = await startControlApi({ socketPath, listen: { host: '127.0.0.1', port }, token, handlers, log });
    const good = new SidecarClient({ label: 'tcp', host: '127.0.0.1', port, token: TOKEN });
    const bad = new SidecarClient({ label: 'tcp', host: '127.0.0.1', port, token: 'wrong-token-wrong-token' });
    const none = new SidecarClient({ label: 'tcp', host: '127.0.0.1', port });
    expect((await good.status()) as StatusReport).toMatchObject({ linked: 'green' });
    expect((await bad.health()).ok).toBe(true);
    for (const client of [bad, none]) {
      const error = await client.deploy({ image: 'app:2' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: new TokenRefusedError('x').code, exitCode: 9 });
    }
    expect(requests).toEqual([]);
  });

  it('refuses malformed requests (400), unknown routes (404) and oversized bodies (413)', async () => {
    const socketPath = path.join(dir, 'control.sock');
    api = await startControlApi({ socketPath, listen: null, token: null, handlers, log });
    const client = new SidecarClient({ label: 'unix', socketPath });
    const typed = await client.deploy({ image: 42 as unknown as string }).catch((e: unknown) => e);
    expect(typed).toMatchObject({ code: 'REQUEST_INVALID', exitCode: 2 });
    expect(String((typed as Error).message)).toMatch(/"image" must be a string/);
    expect(await rawStatus(socketPath, 'GET', '/v1/nothing-here')).toBe(404);
    expect(await rawStatus(socketPath, 'POST', '/v1/deploy', '{"image": ')).toBe(400);
    expect(await rawStatus(socketPath, 'POST', '/v1/deploy', 'x'.repeat(64 * 1024))).toBe(413);
  });

  it('is an unreachable-sidecar error when nothing listens', async () => {
    const client = new SidecarClient({ label: 'unix:/nowhere', socketPath: path.join(dir, 'absent.sock') });
    const error = await client.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).shortMessage).toMatch(
      /cannot reach the sidecar at unix:\/nowhere \(ENOENT\); start it/,
    );
  });

  it('keeps TCP off without a token', async () => {
    const socketPath = path.join(dir, 'control.sock');
    api = await startControlApi({ socketPath, listen: { host: '127.0.0.1', port: 1 }, token: null, handlers, log });
    expect((await new SidecarClient({ label: 'unix', socketPath }).health()).ok).toBe(true);
  });

  it('takes a rotated token file at the next request: the old token is refused, a short one never used', async () => {
    const socketPath = path.join(dir, 'control.sock');
    const { freePort } = await import('../../test/support/stack.js');
    const port = await freePort();
    const file = path.join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`, { mode: 0o600 });
    const said: string[] = [];
    const token = tokenFromEnv({ LINKSWITCH_TOKEN_FILE: file }, (outcome) => said.push(outcome));
    api = await startControlApi({ socketPath, listen: { host: '127.0.0.1', port }, token, handlers, log });
    const client = (t: string) => new SidecarClient({ label: 'tcp', host: '127.0.0.1', port, token: t });
    expect((await client(TOKEN).status()) as StatusReport).toMatchObject({ linked: 'green' });

    const rotated = 'b'.repeat(64);
    await writeFile(`${file}.new`, rotated);
    await rename(`${file}.new`, file);
    expect(
      await client(TOKEN)
        .status()
        .catch((e: unknown) => e),
    ).toMatchObject({ exitCode: 9 });
    expect((await client(rotated).status()) as StatusReport).toMatchObject({ linked: 'green' });
    expect(said).toEqual(['the control API token was rotated; the previous token is refused from now on']);

    await writeFile(`${file}.new`, 'short');
    await rename(`${file}.new`, file);
    expect((await client(rotated).status()) as StatusReport).toMatchObject({ linked: 'green' });
    expect(
      await client('short')
        .status()
        .catch((e: unknown) => e),
    ).toMatchObject({ exitCode: 9 });
    expect(said[1]).toMatch(/the new token holds at most 3 random bytes.*previous token stays in force/);
  });

  it('closes a client that sends its request too slowly, and refuses connections beyond the cap', async () => {
    const socketPath = path.join(dir, 'control.sock');
    const limits = { headersMs: 200, requestMs: 300, checkEveryMs: 50, maxConnections: 3 };
    api = await startControlApi({ socketPath, listen: null, token: null, handlers, log, limits });
    const open = () => {
      const socket = net.createConnection(socketPath);
      const closed = new Promise<string>((resolve) => {
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString();
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', () => undefined);
      });
      return { socket, closed };
    };
    // Slow clients: headers started, never finished.
    const slow = [open(), open(), open()];
    for (const { socket } of slow) socket.write('GET /v1/status HTTP/1.1\r\nHost: sidecar\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A fourth connection while three are open: closed at once, unanswered.
    expect(await open().closed).toBe('');
    // The slow ones are answered 408 and closed once the header deadline passes.
    for (const answer of await Promise.all(slow.map((c) => c.closed))) expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // And the API still serves.
    expect((await new SidecarClient({ label: 'unix', socketPath }).health()).ok).toBe(true);
  });
});
