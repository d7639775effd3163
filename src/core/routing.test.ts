import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { lookupRoute, parseRoute, routeKey, routingTable } from './routing.js';

// Which service answers a request: the table HAProxy's map files are made of, and the same
// lookup in TypeScript (the integration test checks HAProxy agrees on a real stack).

describe('parseRoute', () => {
  it('takes the short and the long form, lowercases the host and drops a trailing slash', () => {
    expect(parseRoute('App.Example.COM', 'r')).toEqual({ host: 'app.example.com', path: null, stripPrefix: false });
    expect(parseRoute('example.com/admin/', 'r')).toEqual({ host: 'example.com', path: '/admin', stripPrefix: false });
    expect(parseRoute({ host: '*.example.com', path: '/api/v2', stripPrefix: true }, 'r')).toEqual({
      host: '*.example.com',
      path: '/api/v2',
      stripPrefix: true,
    });
    expect(parseRoute({ host: 'example.com', path: '/' }, 'r').path).toBeNull();
  });

  it.each([
    ['a port', 'example.com:443'],
    ['a scheme', 'https://example.com'],
    ['a newline', 'example.com\n    server evil 6.6.6.6:80'],
    ['a space', 'example .com'],
    ['a wildcard in the middle', 'a.*.example.com'],
    ['a trailing dot', 'example.com.'],
    ['an empty label', 'a..example.com'],
    ['a label starting with "-"', '-a.example.com'],
    ['an underscore', 'my_host.example.com'],
    ['nothing', ''],
  ])('refuses a host with %s', (_what, host) => {
    expect(() => parseRoute({ host }, 'services.web.routes[0]')).toThrow(ConfigError);
    expect(() => parseRoute({ host }, 'services.web.routes[0]')).toThrow(/services\.web\.routes\[0\]: invalid host/);
  });

  it.each([
    ['a space', '/a b'],
    ['a quote', "/a'b"],
    ['a semicolon', '/a;b'],
    ['a hash', '/a#b'],
    ['a regex metacharacter', '/a(b)'],
    ['an empty segment', '/a//b'],
    ['no leading slash', 'admin'],
    ['a query', '/a?b=1'],
    ['a newline', '/a\nb'],
  ])('refuses a path prefix with %s', (_what, path) => {
    expect(() => parseRoute({ host: 'example.com', path }, 'r')).toThrow(/invalid path prefix/);
  });

  it('refuses stripPrefix without a path', () => {
    expect(() => parseRoute({ host: 'example.com', stripPrefix: true }, 'r')).toThrow(/stripPrefix without a path/);
  });
});

describe('routingTable and lookupRoute', () => {
  const table = routingTable([
    {
      name: 'app',
      backend: 'be_app',
      routes: [parseRoute('app.example.com', 'r'), parseRoute('*.app.example.com', 'r')],
    },
    { name: 'admin', backend: 'be_admin', routes: [parseRoute('example.com/admin', 'r')] },
    { name: 'site', backend: 'be_site', routes: [parseRoute('example.com', 'r')] },
    { name: 'deep', backend: 'be_deep', routes: [parseRoute('*.eu.app.example.com', 'r')] },
  ]);

  it('orders keys longest first, so the first match is the most specific', () => {
    const keys = table.routes.map(([key]) => key);
    expect(keys).toEqual([...keys].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)));
    expect(table.routes).toContainEqual(['example.com/admin/', 'be_admin']);
    expect(table.wildcards).toEqual([
      ['.eu.app.example.com', '*.eu.app.example.com'],
      ['.app.example.com', '*.app.example.com'],
    ]);
  });

  it.each([
    ['app.example.com', '/', 'be_app'],
    ['APP.example.com:8443', '/x', 'be_app'],
    ['tenant.app.example.com', '/', 'be_app'],
    ['a.b.app.example.com', '/', 'be_app'],
    ['x.eu.app.example.com', '/', 'be_deep'],
    ['example.com', '/admin', 'be_admin'],
    ['example.com', '/admin/users', 'be_admin'],
    ['example.com', '/administrator', 'be_site'],
    ['example.com', '/', 'be_site'],
    ['app.example.com.evil.net', '/', null],
    ['evilapp.example.com', '/', null],
    ['nobody.test', '/', null],
  ])('%s%s → %s', (host, path, backend) => {
    expect(lookupRoute(table, host, path)).toBe(backend);
  });

  it('names both services when two claim the same host and path', () => {
    const claim = (name: string, route: string) => ({ name, backend: `be_${name}`, routes: [parseRoute(route, 'r')] });
    expect(() => routingTable([claim('a', 'x.com/p'), claim('b', 'X.com/p/')])).toThrow(
      /route x\.com\/p is claimed by both services a and b/,
    );
    // The same host with different prefixes, or a host and its wildcard, do not conflict.
    expect(() => routingTable([claim('a', 'x.com/p'), claim('b', 'x.com/q'), claim('c', '*.x.com')])).not.toThrow();
  });

  it('keys end in "/" so a host matches only itself and a prefix only a whole segment', () => {
    expect(routeKey({ host: 'x.com', path: null })).toBe('x.com/');
    expect(routeKey({ host: 'x.com', path: '/a' })).toBe('x.com/a/');
  });
});
