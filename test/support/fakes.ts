import http from 'node:http';
import type { Colour } from '../../src/core/colour.js';
import type { Clock, ObservedContainer } from '../../src/core/ports.js';

// Builders and fakes shared by the tests: one place to change when a port or a view grows.

/** Published host ports the builders give each colour unless told otherwise. */
export const FAKE_PORTS: Record<Colour, number> = { blue: 32001, green: 32002 };

/**
 * A running, healthy colour container published on 127.0.0.1. `address: null` (with no
 * `running`) means not running; `probeAddress` follows `address` unless given.
 */
export function observedContainer(colour: Colour, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const address = 'address' in over ? (over.address ?? null) : { host: '127.0.0.1', port: FAKE_PORTS[colour] };
  return {
    colour,
    name: `web-${colour}`,
    id: `id-${colour}`,
    image: 'app:1',
    running: address !== null,
    exitCode: null,
    restarts: 0,
    health: 'healthy',
    probeAddress: address,
    ...over,
    address,
  };
}

export interface FakeClock extends Clock {
  /** Moves both clocks forward without waiting. */
  advance(ms: number): void;
}

/** A clock whose `sleep` returns at once and moves time forward by the slept amount. */
export function fakeClock(startMs = Date.parse('2025-06-01T12:00:00.000Z')): FakeClock {
  let now = startMs;
  return {
    now: () => new Date(now),
    monotonic: () => now - startMs,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Where tests may send traffic: 127.0.0.1, or the test bridge of the namespaces a test created
 * itself (test/support/swarm-cluster.ts). Anything else is refused before a packet leaves.
 */
export function testTarget(host: string): string {
  if (host === '127.0.0.1' || /^10\.24\d\.\d{1,3}\.\d{1,3}$/.test(host)) return host;
  throw new Error(`tests send traffic only to 127.0.0.1 or their own namespaces (10.240-249.x.x), not ${host}`);
}

/** GET on 127.0.0.1 (or a test namespace), the body read whole. */
export function httpGet(
  port: number,
  options: {
    host?: string;
    path?: string;
    agent?: http.Agent | false;
    timeoutMs?: number;
    headers?: http.OutgoingHttpHeaders;
  } = {},
): Promise<HttpAnswer> {
  const { path = '/', agent = false, timeoutMs = 5_000, headers } = options;
  const host = testTarget(options.host ?? '127.0.0.1');
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path, agent, timeout: timeoutMs, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET :${port}${path} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** The test app's `X-Version` header (its version), or null. */
export function versionOf(answer: HttpAnswer): string | null {
  const value = answer.headers['x-version'];
  return typeof value === 'string' ? value : null;
}
