import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { type LoadRun, startLoad } from './load.js';
import { createMultiStack, type MultiStack } from './multi-stack.js';
import { freePort } from './stack.js';
import { createCa, type TestCa } from './tls.js';

// The stack of the several-services tests: app (two hosts, one a wildcard), api (health check
// Host header, an extra backend line), admin (a path prefix, stripped, behind basic auth) and db
// (TCP) behind one HAProxy on HTTPS with a redirect, access logs over UDP to a socket of the
// test, HAProxy's Prometheus exporter, and a certificate made with openssl at test time.

export const HOSTS = { app: 'app.test', api: 'api.test', admin: 'example.test' } as const;
// admin is behind HTTP basic auth (a SHA-512 crypt hash in the config, made by openssl here).
export const ADMIN_AUTH = { authorization: `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}` };

export interface HttpsStack {
  stack: MultiStack;
  ca: TestCa;
  certFile: string;
  /** Access log lines HAProxy sent (syslog over UDP). */
  logLines: string[];
  services: Record<string, Record<string, unknown>>;
  haproxyExtra: Record<string, unknown>;
  statsPort: number;
  tcpPort: number;
  /** The version (image tag) the state file says a service serves. */
  version(id: string): Promise<string | undefined>;
  /** Keep-alive HTTPS load to one host of the stack, trusting its CA (bounded to 200 s). */
  load(host: string, options?: { connections?: number; path?: string; headers?: Record<string, string> }): LoadRun;
  destroy(): Promise<void>;
}

export async function createHttpsStack(prefix: string): Promise<HttpsStack> {
  const stack = await createMultiStack(prefix, ['app', 'api', 'admin', 'db']);
  const ca = await createCa(path.join(stack.dir, 'ca'));
  const certFile = await ca.issue({
    hosts: [HOSTS.app, `*.${HOSTS.app}`, HOSTS.api, HOSTS.admin],
    outDir: path.join(stack.dir, 'certs'),
    fileName: 'site.pem',
  });
  // Access logs over syslog/UDP to a socket of this test: HAProxy on the host is a daemon.
  const logLines: string[] = [];
  const syslog = dgram.createSocket('udp4');
  syslog.on('message', (msg) => logLines.push(msg.toString()));
  await new Promise<void>((resolve) => syslog.bind(0, '127.0.0.1', resolve));
  const { stdout: hash } = await execa('openssl', ['passwd', '-6', 's3cret-pass']);
  const statsPort = await freePort();
  const tcpPort = await freePort();
  const services = {
    app: { routes: [HOSTS.app, `*.${HOSTS.app}`] },
    api: {
      routes: [HOSTS.api],
      health: { interval: '100ms', timeout: '20s', host: HOSTS.api },
      extraLines: ['http-response set-header X-Extra api-backend'],
    },
    admin: {
      routes: [{ host: HOSTS.admin, path: '/admin', stripPrefix: true }],
      auth: { users: { ops: hash.trim() } },
    },
    // A TCP service (Tutum's TCP_PORTS) on its own port: the test app, spoken to as plain TCP.
    db: { mode: 'tcp', bind: `127.0.0.1:${tcpPort}` },
  };
  const haproxyExtra = {
    tls: { bind: `127.0.0.1:${stack.httpsPort}`, certificates: [certFile], redirect: 308, hsts: { maxAge: 600 } },
    accessLog: { target: `127.0.0.1:${syslog.address().port}` },
    stats: { bind: `127.0.0.1:${statsPort}` },
    extraFrontendLines: ['http-response set-header X-Edge linkswitch'],
  };
  await stack.writeConfig(services, { haproxy: haproxyExtra });
  const up = await stack.cli(['up']);
  if (up.exitCode !== 0) {
    // The caller never gets the stack to destroy: take down what this `up` started.
    syslog.close();
    await stack.destroy();
  }
  expect(up.exitCode, up.all).toBe(0);
  return {
    stack,
    ca,
    certFile,
    logLines,
    services,
    haproxyExtra,
    statsPort,
    tcpPort,
    async version(id) {
      const state = await stack.readState(id);
      return state.colours[state.linked]?.image.split(':')[1];
    },
    load(host, { connections = 3, path = '/', headers = {} } = {}) {
      return startLoad({
        port: stack.httpsPort,
        connections,
        maxDurationMs: 200_000,
        tls: { ca: ca.pem },
        hostHeader: host,
        path,
        headers,
      });
    },
    async destroy() {
      syslog.close();
      await stack.destroy();
    },
  };
}

/** One request on a new connection to 127.0.0.1, with a Host header (and SNI over HTTPS). */
export function get(options: {
  port: number;
  host: string;
  path?: string;
  secure?: boolean;
  ca?: string;
  headers?: Record<string, string>;
  /** Accept a certificate for another name (a host no certificate covers). */
  anyName?: boolean;
}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = options.secure ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        headers: { host: options.host, ...options.headers },
        agent: false,
        ...(options.secure
          ? {
              ca: options.ca,
              servername: options.host.split(':')[0]!.toLowerCase(),
              ...(options.anyName ? { checkServerIdentity: () => undefined } : {}),
            }
          : {}),
        timeout: 5_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (body += c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}
