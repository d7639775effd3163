import { describe, expect, it } from 'vitest';
import { configError, FILE, MINIMAL, MULTI } from '../../test/support/config-fixtures.js';
import { settingsFor, withAccessLogTarget } from '../core/settings.js';
import { parseConfig } from './load.js';

// `services:`: several services behind one HAProxy, each with its routes, health and state file.

describe('parseConfig: services', () => {
  it('reads every service with its routes, health, timeouts and own state file', () => {
    const config = parseConfig(MULTI, FILE);
    expect(config.multi).toBe(true);
    expect(config.services.map((e) => e.service.name)).toEqual(['app', 'api', 'admin']);
    const [app, api, admin] = config.services;
    expect(app!.service.routes).toEqual([
      { host: 'app.example.com', path: null, stripPrefix: false },
      { host: '*.app.example.com', path: null, stripPrefix: false },
    ]);
    expect(app!.service.default).toBe(true);
    expect(api!.health.path).toBe('/healthz');
    expect(api!.service.timeouts.server).toBe(60_000);
    expect(admin!.service.routes).toEqual([{ host: 'example.com', path: '/admin', stripPrefix: true }]);
    expect(admin!.state.file).toBe('/srv/app/state/admin.json');
    // The first service is the view the settings start from; settingsFor picks another.
    expect(config.service.name).toBe('app');
    const view = settingsFor(config, 'api')!;
    expect([view.service.name, view.health.path, view.state.file]).toEqual([
      'api',
      '/healthz',
      '/srv/app/state/api.json',
    ]);
    expect(settingsFor(config, 'nosuch')).toBeNull();
  });

  it('reads TLS with safe defaults and absolute certificate paths', () => {
    const { tls, edge } = parseConfig(MULTI, FILE);
    expect(tls).toEqual({
      bind: '127.0.0.1:8443',
      certificates: ['/srv/app/certs/site.pem', '/srv/app/certs'],
      acme: null,
      redirect: 308,
      hsts: { maxAge: 600, includeSubDomains: false },
      minVersion: 'TLSv1.2',
    });
    // HAProxy on the host logs to syslog/journald by default; forwarded headers are on.
    expect(edge).toEqual({
      forwardHeaders: true,
      // Decided by where HAProxy runs (the composition root), unless given.
      accessLog: { target: null, format: 'http' },
      clientTimeout: 30_000,
      stats: null,
      extraFrontendLines: [],
      errorFiles: {},
    });
  });

  it('decides a missing access log target by where HAProxy runs: stdout in a container, else /dev/log', () => {
    const config = parseConfig(MULTI, FILE);
    expect(withAccessLogTarget(config, true).edge.accessLog.target).toBe('stdout');
    expect(withAccessLogTarget(config, false).edge.accessLog.target).toBe('/dev/log');
    const given = parseConfig(MULTI.replace('haproxy:\n', 'haproxy:\n  accessLog: { target: none }\n'), FILE);
    expect(withAccessLogTarget(given, true).edge.accessLog.target).toBe('none');
  });

  it('keeps the one-service config as it was: no routes, the default, state.file', () => {
    const config = parseConfig(MINIMAL, FILE);
    expect(config.multi).toBe(false);
    expect(config.services).toHaveLength(1);
    expect(config.service).toMatchObject({ name: 'web', routes: [], default: true });
    expect(config.state.file).toBe('/srv/app/haproxy/run/state.json');
    expect(config.tls).toBeNull();
  });

  it.each([
    [
      'both service: and services:',
      `${MINIMAL}${MULTI.replace('state: { dir: state }', '')}`,
      /either `service:`.*or `services:`/,
    ],
    ['neither', 'haproxy: {}\n', /define `service:`.*or `services:`/],
    [
      'a route claimed twice',
      MULTI.replace('routes: [api.example.com]', 'routes: [APP.example.com]'),
      /route app\.example\.com is claimed by both services app and api/,
    ],
    [
      'two defaults',
      MULTI.replace('routes: [api.example.com]', 'routes: [api.example.com]\n    default: true'),
      /services app and api are both marked default/,
    ],
    [
      'a service without routes',
      MULTI.replace('routes: [api.example.com]', 'routes: []'),
      /services\.api has no routes/,
    ],
    ['a bad service name', MULTI.replace('  api:\n', '  "API x":\n'), /invalid service name/],
    [
      'a host with a newline',
      MULTI.replace('routes: [api.example.com]', 'routes: ["api.example.com\\n  server x"]'),
      /services\.api\.routes\[0\]: invalid host/,
    ],
    ['a bad path', MULTI.replace('path: /admin', 'path: "/ad min"'), /invalid path prefix/],
    ['health at the top level', `${MULTI}health: { path: /h }\n`, /put `health:` inside each service/],
    [
      'state.file with services:',
      MULTI.replace('state: { dir: state }', 'state: { file: s.json }'),
      /state\.file is for `service:`/,
    ],
    ['state.dir with service:', `${MINIMAL}state: { dir: s }\n`, /state\.dir is for `services:`/],
    [
      'an unknown key in a service',
      MULTI.replace('port: 3000', 'port: 3000\n    ports: ["80:80"]'),
      /ports is refused: linkswitch owns how HAProxy reaches the colours/,
    ],
    ['a redirect code HAProxy does not take', MULTI.replace('hsts:', 'redirect: 302, hsts:'), /tls\.redirect/],
    [
      'a plain password for basic auth',
      MULTI.replace(
        'timeouts: { server: 60s }',
        'timeouts: { server: 60s }\n    auth: { users: { ops: hunter2hunter2 } }',
      ),
      /auth\.users\.ops: invalid password hash \(not shown\)/,
    ],
    [
      'an extra line with a newline',
      MULTI.replace(
        'timeouts: { server: 60s }',
        'timeouts: { server: 60s }\n    extraLines: ["acl a src 1.2.3.4\\n    server evil 6.6.6.6:80"]',
      ),
      /extraLines\.0: invalid extra line/,
    ],
    ['TLS 1.0', MULTI.replace('hsts:', 'minVersion: TLSv1.0, hsts:'), /minVersion/],
    [
      'a log target with a space',
      `${MULTI}`.replace('haproxy:\n', 'haproxy:\n  accessLog: { target: "/dev/log x" }\n'),
      /accessLog\.target/,
    ],
  ])('refuses %s with exit 2', (_what, text, pattern) => {
    const error = configError(text);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(pattern);
  });
});
