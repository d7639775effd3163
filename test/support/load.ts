import http from 'node:http';
import https from 'node:https';
import { testTarget } from './fakes.js';

// A keep-alive HTTP load generator for 127.0.0.1 only: `connections` loops, each sending GET /
// back to back on its own persistent connection, bounded by both a deadline and a request
// count. Every response records when its request started and which version answered.

export interface Sample {
  startedAt: number;
  endedAt: number;
  version: string | null;
  /** The answering app's SERVICE_ID (several services behind one HAProxy). */
  service: string | null;
  status: number;
  error: string | null;
}

export interface LoadOptions {
  port: number;
  /** 127.0.0.1 unless a test targets a namespace of its own (testTarget checks it). */
  host?: string;
  connections?: number;
  maxDurationMs?: number;
  maxRequests?: number;
  /** Host header (and TLS server name) to send; default none. */
  hostHeader?: string;
  path?: string;
  /** HTTPS with this CA (PEM) trusted. */
  tls?: { ca: string };
  /** Sent with every request (e.g. authorization). */
  headers?: Record<string, string>;
  /** false: a new connection per request (a TCP service switches connections, not requests). */
  keepAlive?: boolean;
}

export interface LoadRun {
  stop(): Promise<Sample[]>;
  samples: Sample[];
}

export function startLoad({
  port,
  host: target = '127.0.0.1',
  connections = 8,
  maxDurationMs = 120_000,
  maxRequests = 2_000_000,
  hostHeader,
  path = '/',
  tls,
  headers: extraHeaders = {},
  keepAlive = true,
}: LoadOptions): LoadRun {
  const host = testTarget(target);
  const agent = tls
    ? new https.Agent({ keepAlive, maxSockets: connections, ca: tls.ca, servername: hostHeader })
    : new http.Agent({ keepAlive, maxSockets: connections });
  const client = tls ? https : http;
  const headers = { ...(hostHeader ? { host: hostHeader } : {}), ...extraHeaders };
  const samples: Sample[] = [];
  const deadline = performance.now() + maxDurationMs;
  let stopping = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const startedAt = performance.now();
      const fail = (error: string) => {
        samples.push({ startedAt, endedAt: performance.now(), version: null, service: null, status: 0, error });
        resolve();
      };
      const request = client.get({ host, port, path, headers, agent, timeout: 10_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          samples.push({
            startedAt,
            endedAt: performance.now(),
            version: (response.headers['x-version'] as string) ?? null,
            service: (response.headers['x-service'] as string) || null,
            status,
            error: status >= 500 ? `HTTP ${status}: ${body.trim().slice(0, 80)}` : null,
          });
          resolve();
        });
        response.on('error', (error) => fail(error.message));
      });
      request.on('timeout', () => request.destroy(new Error('request timeout')));
      request.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    });
  const loop = async () => {
    while (!stopping && performance.now() < deadline && samples.length < maxRequests) await once();
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    samples,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
      return samples;
    },
  };
}

export function failures(samples: Sample[]): Sample[] {
  return samples.filter((s) => s.error !== null || s.status >= 500 || s.status === 0);
}
