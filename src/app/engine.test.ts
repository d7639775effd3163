import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { serverNames } from '../core/layout.js';
import { chooseEngine } from './engine.js';

// The engine is chosen once, from the config; what only one engine can honour is refused here.

const base = 'service:\n  name: shop\n  image: app:1\n  port: 8080\n';
const swarm =
  `${base}engine:\n  kind: swarm\n  network: appnet\n  replicas: 3\nhaproxy:\n  configFile: ` +
  `/srv/run/haproxy.cfg\n`;

describe('chooseEngine', () => {
  it('without an engine key: single containers, Docker events, one server per colour, HAProxy started here', () => {
    const engine = chooseEngine(parseConfig(`${base}haproxy:\n  configFile: /srv/run/haproxy.cfg\n`, '/srv/l.yml'));
    expect(engine.kind).toBe('container');
    expect(engine.events).not.toBeNull();
    expect(engine.haproxyExternal).toBe(false);
    expect(engine.layout).toEqual({
      slots: null,
      replicas: null,
      resolvers: null,
      serverStateFile: '/srv/run/servers.state',
      serverStateCarry: 'serving',
    });
    expect(serverNames(engine.layout, 'blue')).toEqual(['blue']);
  });

  it('Swarm: services updated in place, no event source (with the reason), a DNS server-template layout', () => {
    const engine = chooseEngine(parseConfig(swarm, '/srv/linkswitch.yml'));
    expect(engine.kind).toBe('swarm');
    expect(engine.docker.updatesInPlace).toBe(true);
    expect(engine.events).toBeNull();
    expect(engine.eventsAbsentReason).toMatch(/Swarm/);
    expect(engine.haproxyExternal).toBe(true);
    expect(engine.layout).toEqual({
      slots: 6,
      replicas: 3,
      resolvers: { host: '127.0.0.11', port: 53 },
      serverStateFile: '/srv/run/servers.state',
      serverStateCarry: 'all',
    });
    expect(serverNames(engine.layout, 'green')).toEqual(['green1', 'green2', 'green3', 'green4', 'green5', 'green6']);
  });

  it.each([
    [
      'health.use http (the controller cannot reach overlay IPs)',
      `${swarm}health:\n  use: http\n`,
      /health\.use "http"/,
    ],
    [
      'service.pull (each node pulls for itself)',
      swarm.replace('port: 8080\n', 'port: 8080\n  pull: always\n'),
      /service\.pull "always"/,
    ],
  ])('Swarm refuses %s with a ConfigError naming the key', (_what, yaml, message) => {
    const settings = parseConfig(yaml, '/srv/linkswitch.yml');
    expect(() => chooseEngine(settings)).toThrow(ConfigError);
    expect(() => chooseEngine(settings)).toThrow(message);
  });
});
