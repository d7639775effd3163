import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createStack, type Stack } from '../support/stack.js';

// `linkswitch docker-proxy` in front of the real engine: every verb linkswitch runs works through
// it (up, deploy, rollback, a one-off with attach and wait, status), and what a compromised
// sidecar would try is refused with a 403 before the engine sees it.

describe('linkswitch docker-proxy', () => {
  let stack: Stack;
  let proxy: ChildProcess;
  let socket: string;
  let stranger: string;
  const proxyLog: string[] = [];
  const viaProxy = () => ({ env: { DOCKER_HOST: `unix://${socket}` } });

  /** One raw Engine API call through the proxy. */
  const call = (method: string, route: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          socketPath: socket,
          method,
          path: route,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (response) => {
          let text = '';
          response.on('data', (c) => {
            text += c;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      request.end(payload);
    });

  beforeAll(async () => {
    stack = await createStack('dproxy');
    socket = path.join(stack.dir, 'docker-proxy', 'docker.sock');
    proxy = spawn(process.execPath, [CLI, 'docker-proxy', '--listen', socket], {
      env: { ...process.env, LINKSWITCH_CONFIG: stack.configFile, LINKSWITCH_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proxy.stderr?.on('data', (chunk) => proxyLog.push(String(chunk)));
    for (let i = 0; i < 200 && !proxyLog.join('').includes('Docker proxy listening'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(proxyLog.join(''), 'the proxy did not start').toContain('Docker proxy listening');
    // A container that is not linkswitch's (as HAProxy's or a database's would be).
    stranger = `${stack.name}-stranger`;
    await execa('docker', ['run', '-d', '--name', stranger, '-e', 'SECRET=hunter2', 'linkswitch-test-app:v1']);
  });

  afterAll(async () => {
    await stack?.destroy();
    proxy?.kill('SIGTERM');
    await execa('docker', ['rm', '-f', stranger], { reject: false });
  });

  it('passes everything linkswitch does: up, deploy, rollback, a one-off, status', async () => {
    for (const args of [
      ['up'],
      ['deploy', '--image', 'linkswitch-test-app:v2'],
      ['rollback'],
      ['run', '--', 'task', 'env'],
      ['status'],
      ['deploy', '--image', 'linkswitch-test-app:v2'],
    ]) {
      const result = await stack.cli(args, viaProxy());
      expect(result.exitCode, `${args.join(' ')}: ${result.all}`).toBe(0);
      // The one-off's output came back through the proxy's attach stream.
      if (args[0] === 'run') expect(result.all).toContain('APP_VERSION=');
    }
    expect(proxyLog.join('')).not.toContain('refused');
  });

  it('refuses exec, privileged or host-path creates, swarm leave, plugins and strangers', async () => {
    const own = `${stack.name}-blue`;
    const labels = { 'linkswitch.service': stack.name };
    const refusals: Array<[string, string, unknown?]> = [
      ['POST', `/v1.41/containers/${own}/exec`, { Cmd: ['sh'] }],
      [
        'POST',
        '/containers/create',
        { Image: 'linkswitch-test-app:v1', Labels: labels, HostConfig: { Privileged: true } },
      ],
      [
        'POST',
        '/containers/create',
        {
          Image: 'linkswitch-test-app:v1',
          Labels: labels,
          HostConfig: { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] },
        },
      ],
      ['POST', '/containers/create', { Image: 'linkswitch-test-app:v1', HostConfig: {} }],
      ['POST', '/swarm/leave?force=1'],
      ['POST', '/plugins/pull?remote=x'],
      ['GET', `/containers/${stranger}/json`],
      ['POST', `/containers/${stranger}/stop`],
      ['DELETE', `/containers/${stranger}?force=1`],
      ['GET', `/containers/${own}/archive?path=/`],
    ];
    for (const [method, route, body] of refusals) {
      const answer = await call(method, route, body);
      expect(answer.status, `${method} ${route}: ${answer.body}`).toBe(403);
      expect(JSON.parse(answer.body).message).toMatch(/^linkswitch docker-proxy refused /);
    }
    // The stranger still runs, its environment was never read, and no container was created.
    expect((await execa('docker', ['inspect', '-f', '{{.State.Running}}', stranger])).stdout).toBe('true');
    const created = await execa('docker', ['ps', '-aq', '--filter', `label=linkswitch.service=${stack.name}`]);
    expect(created.stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('refuses a connection upgrade (a hijacked exec or attach)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const client = net.createConnection(socket, () =>
        client.write(
          `POST /containers/${stack.name}-blue/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\n` +
            'Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
        ),
      );
      let text = '';
      client.on('data', (c) => {
        text += c;
      });
      client.on('end', () => resolve(text));
      client.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
  });

  it('the socket is mode 600', async () => {
    const { stat } = await import('node:fs/promises');
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
  });
});
