import { ConfigError, UnsafeValueError } from './errors.js';
import type { RouteSettings } from './settings.js';

// Which service answers a request, as data HAProxy looks up in map files: one `map_beg` lookup
// on "<host><path>/" against keys "<host><prefix>/", so an exact host matches only itself (the
// "/" after it must follow) and a prefix only on a segment boundary ("/admin" matches "/admin"
// and "/admin/x", never "/administrator"). Wildcard hosts ("*.example.com") are found by a
// `map_end` lookup on the host first. Two lookups per request, whatever the number of services.

// Host labels: letters, digits and "-" (lowercased); at least two labels unless it is a single
// name such as "localhost". No port, no trailing dot, nothing HAProxy would parse.
const HOST = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
// Path segments of unreserved URL characters: these reach haproxy.cfg (regexes for stripPrefix)
// and map files, so nothing with a meaning to either (spaces, quotes, "#", regex metacharacters).
const PATH = /^(?:\/[A-Za-z0-9._~@-]+)+$/;

/** A host for the health check's Host header: a plain host name, no wildcard. */
export function safeCheckHost(value: unknown): string {
  if (typeof value === 'string' && !value.startsWith('*.') && value.length <= 253 && HOST.test(value.toLowerCase()))
    return value.toLowerCase();
  throw new UnsafeValueError(`invalid health check host ${JSON.stringify(value)}`, {
    fix: 'use a host name such as "app.example.com" (no port, no wildcard)',
  });
}

/** A host an ACME CA can validate over HTTP-01: a plain host name, no wildcard, no address. */
export function safeCertificateHost(value: unknown, where: string): string {
  const host = typeof value === 'string' ? value.toLowerCase() : '';
  if (host.startsWith('*.'))
    throw new ConfigError(`${where}: ${host} is a wildcard, which HTTP-01 cannot prove`, {
      fix: 'list exact hosts, or give the wildcard a certificate file in haproxy.tls.certificates',
    });
  if (host.length > 253 || !HOST.test(host) || /^[\d.]+$/.test(host))
    throw new ConfigError(`${where}: invalid host ${JSON.stringify(value)}`, {
      fix: 'use a host name such as "app.example.com" (letters, digits, "-" and "."; no port, scheme or path)',
    });
  return host;
}

export type RouteInput = string | { host: string; path?: string | undefined; stripPrefix?: boolean | undefined };

/** Parses and checks one route; `where` names it in the error (e.g. `services.api.routes[1]`). */
export function parseRoute(input: RouteInput, where: string): RouteSettings {
  const long = typeof input === 'string' ? splitShortRoute(input) : input;
  const host = long.host.toLowerCase();
  if (host.length > 253 || !HOST.test(host)) {
    throw new ConfigError(`${where}: invalid host ${JSON.stringify(long.host)}`, {
      fix: 'use a host name such as "app.example.com" or "*.example.com" (no port, scheme or path)',
    });
  }
  let path: string | null = long.path ?? null;
  if (path !== null) {
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (path === '/') path = null;
    else if (!PATH.test(path) || path.length > 512) {
      throw new ConfigError(`${where}: invalid path prefix ${JSON.stringify(long.path)}`, {
        fix: 'use a prefix such as "/admin" or "/api/v2": segments of letters, digits, ".", "_", "~", "@" and "-"',
      });
    }
  }
  const stripPrefix = long.stripPrefix ?? false;
  if (stripPrefix && path === null) {
    throw new ConfigError(`${where}: stripPrefix without a path prefix`, {
      fix: 'add `path:` to the route, or drop `stripPrefix`',
    });
  }
  return { host, path, stripPrefix };
}

function splitShortRoute(text: string): { host: string; path?: string; stripPrefix?: boolean } {
  const slash = text.indexOf('/');
  return slash === -1 ? { host: text } : { host: text.slice(0, slash), path: text.slice(slash) };
}

/** The lookup key of a route: what a request's "<host><path>/" must begin with. */
export function routeKey(route: Pick<RouteSettings, 'host' | 'path'>): string {
  return `${route.host}${route.path ?? ''}/`;
}

export interface RoutedService {
  name: string;
  backend: string;
  routes: RouteSettings[];
}

export interface RoutingTable {
  /** `<key> <backend>` pairs, longest key first: the first match is the most specific route. */
  routes: Array<[string, string]>;
  /** `.<suffix> *.<suffix>` pairs for wildcard hosts, longest first. */
  wildcards: Array<[string, string]>;
}

/** The routing table of a stack; two services claiming the same host and path is a ConfigError. */
export function routingTable(services: RoutedService[]): RoutingTable {
  const owners = new Map<string, string>();
  const routes: Array<[string, string]> = [];
  const wildcards = new Map<string, string>();
  for (const svc of services) {
    for (const route of svc.routes) {
      const key = routeKey(route);
      const owner = owners.get(key);
      if (owner === svc.name) continue;
      if (owner !== undefined) {
        throw new ConfigError(
          `route ${route.host}${route.path ?? ''} is claimed by both services ${owner} and ${svc.name}`,
          { fix: 'give each host and path prefix to one service only' },
        );
      }
      owners.set(key, svc.name);
      routes.push([key, svc.backend]);
      if (route.host.startsWith('*.')) wildcards.set(route.host.slice(1), route.host);
    }
  }
  const longestFirst = (a: [string, string], b: [string, string]) =>
    b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1);
  return { routes: routes.sort(longestFirst), wildcards: [...wildcards.entries()].sort(longestFirst) };
}

/** Which backend HAProxy picks for a request: the same rules as the rendered config, for tests and `status`. */
export function lookupRoute(table: RoutingTable, host: string, path: string): string | null {
  const bare = host.toLowerCase().split(':')[0] ?? '';
  const find = (site: string) => table.routes.find(([key]) => `${site}${path}/`.startsWith(key))?.[1] ?? null;
  const exact = find(bare);
  if (exact) return exact;
  const wildcard = table.wildcards.find(([suffix]) => bare.endsWith(suffix))?.[1];
  return wildcard ? find(wildcard) : null;
}
