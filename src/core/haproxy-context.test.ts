import { describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import { parseConfig } from '../config/load.js';
import type { Colour } from './colour.js';
import { UnsafeValueError } from './errors.js';
import { backendName, buildHaproxyContext, IDLE_WEIGHT, LINKED_WEIGHT } from './haproxy-context.js';
import type { Observed } from './plan.js';
import type { ObservedContainer } from './ports.js';

const config = parseConfig(
  'service:\n  name: shop.api\n  image: app:1\n  port: 8080\nhealth:\n  path: /ready\nhaproxy:\n  bind: ' +
    '0.0.0.0:8443\n  hardStopAfter: 1m\n  check: { inter: 1.5s }\n',
  '/srv/shop/linkswitch.yml',
);

function container(colour: Colour, address: ObservedContainer['address']): ObservedContainer {
  return observedContainer(colour, { name: `shop.api-${colour}`, health: 'none', address, running: true });
}

const observed = (blueHost = '172.18.0.2', greenHost = '172.18.0.3'): Observed => ({
  blue: container('blue', { host: blueHost, port: 8080 }),
  green: container('green', { host: greenHost, port: 8080 }),
});

describe('buildHaproxyContext', () => {
  it('builds names, bind, timings and both servers with linked/idle weights', () => {
    const context = buildHaproxyContext(config, 'green', observed());
    expect(context).toMatchObject({
      service: 'shop.api',
      frontend: 'fe_shop.api',
      backend: 'be_shop.api',
      bind: { address: '0.0.0.0', port: 8443 },
      linked: 'green',
      servers: [
        {
          name: 'blue',
          host: '172.18.0.2',
          port: 8080,
          weight: IDLE_WEIGHT,
          linked: false,
          resolvesTo: null,
          disabled: false,
        },
        {
          name: 'green',
          host: '172.18.0.3',
          port: 8080,
          weight: LINKED_WEIGHT,
          linked: true,
          resolvesTo: null,
          disabled: false,
        },
      ],
      health: { path: '/ready', host: null, expectStatus: 200 },
      check: { inter: '1500ms', rise: 1, fall: 2 },
      retries: 3,
      hardStopAfter: '60000ms',
      adminSocket: '/srv/shop/haproxy/run/admin.sock',
      // One service: its backend is the default, and there is nothing to route.
      defaultBackend: 'be_shop.api',
      routing: null,
      // Maintenance mode's map: created empty when missing, never overwritten by a render.
      maps: [{ file: '/srv/shop/haproxy/run/maps/maintenance.map', text: '', keep: true }],
      tls: null,
    });
    expect(context.backends).toEqual([
      {
        service: 'shop.api',
        backend: 'be_shop.api',
        linked: 'green',
        servers: context.servers,
        health: context.health,
        check: context.check,
        retries: 3,
        timeouts: { connect: '2000ms', server: '30000ms', tunnel: '3600000ms' },
        stripPrefixes: [],
        preview: null,
        maintenance: {
          map: expect.stringMatching(/\/maps\/maintenance\.map$/),
          key: 'shop.api',
          retryKey: 'shop.api.retry-after',
          allowIps: [],
          allowHeader: null,
          allowToken: null,
          allowed: false,
        },
        auth: null,
        extraLines: [],
        errorFiles: [],
        tcp: null,
      },
    ]);
    expect(LINKED_WEIGHT).toBe(100);
    expect(IDLE_WEIGHT).toBe(0);
  });

  it('accepts container names as hosts (network mode)', () => {
    const context = buildHaproxyContext(config, 'blue', observed('shop.api-blue', 'shop.api-green'));
    expect(context.servers.map((s) => s.host)).toEqual(['shop.api-blue', 'shop.api-green']);
  });

  it('carries the IP a server name resolves to (network mode), so that a changed IP changes the config', () => {
    const named = (colour: Colour, ip: string): ObservedContainer => ({
      ...container(colour, { host: `shop.api-${colour}`, port: 8080 }),
      probeAddress: { host: ip, port: 8080 },
    });
    const context = buildHaproxyContext(config, 'blue', {
      blue: named('blue', '172.18.0.2'),
      green: named('green', '172.18.0.9'),
    });
    expect(context.servers.map((s) => [s.host, s.resolvesTo])).toEqual([
      ['shop.api-blue', '172.18.0.2'],
      ['shop.api-green', '172.18.0.9'],
    ]);
    expect(() => buildHaproxyContext(config, 'blue', { blue: named('blue', '1.2.3.4 # x'), green: null })).toThrow(
      /blue IP/,
    );
  });

  it('keeps a colour without an address as a disabled placeholder (a deploy points it at runtime)', () => {
    const context = buildHaproxyContext(config, 'blue', {
      blue: container('blue', { host: '10.0.0.1', port: 80 }),
      green: container('green', null),
    });
    expect(context.servers.map((s) => [s.name, s.host, s.port, s.disabled])).toEqual([
      ['blue', '10.0.0.1', 80, false],
      ['green', '127.0.0.1', 1, true],
    ]);
  });

  it.each([
    ['a host with a newline', observed('a\nb'), /blue address/],
    ['a host with a space', observed('10.0.0.1 backup'), /blue address/],
    ['a host with a hash', observed('172.18.0.2', 'x#y'), /green address/],
  ])('refuses %s from Docker', (_label, obs, pattern) => {
    expect(() => buildHaproxyContext(config, 'blue', obs)).toThrow(UnsafeValueError);
    expect(() => buildHaproxyContext(config, 'blue', obs)).toThrow(pattern);
  });

  it('refuses a port Docker should never report', () => {
    const bad = { blue: container('blue', { host: '10.0.0.1', port: 0 }), green: null };
    expect(() => buildHaproxyContext(config, 'blue', bad)).toThrow(/blue port/);
  });

  it('refuses an unsafe service name even if the config was not validated', () => {
    const tampered = { ...config, service: { ...config.service, name: 'web\nbackend x' } };
    expect(() => buildHaproxyContext(tampered, 'blue', observed())).toThrow(UnsafeValueError);
  });
});

describe('backendName', () => {
  it('prefixes the service name', () => expect(backendName('web')).toBe('be_web'));
  it('refuses an unsafe service name', () => expect(() => backendName('web;x')).toThrow(UnsafeValueError));
});
