import path from 'node:path';
import { ConfigError, messageOf } from '../core/errors.js';
import { parseRoute, routingTable } from '../core/routing.js';
import { safeFsPath } from '../core/safe-values.js';
import type { ServiceEntry, TlsSettings } from '../core/settings.js';
import { acmeSettings } from './acme.js';
import type { ComposeInfo } from './compose-file.js';
import { DEFAULTS, type ParsedConfig } from './schema.js';
import { containerFields, secretFiles } from './service-container.js';

// From the parsed YAML to the settings the core runs with: one entry per service (the single
// `service:` or each of `services:`), routes checked and conflicts refused, paths made absolute.

const DEFAULT_HEALTH = {
  path: DEFAULTS.healthPath,
  interval: DEFAULTS.healthIntervalMs,
  timeout: DEFAULTS.healthTimeoutMs,
  probeTimeout: DEFAULTS.probeTimeoutMs,
  use: 'auto' as const,
  expectStatus: 200,
};

export function serviceEntries(
  config: ParsedConfig,
  file: string,
  abs: (p: string) => string,
  compose: Map<string, ComposeInfo> = new Map(),
): ServiceEntry[] {
  const fail = (message: string, fix: string) => {
    throw new ConfigError(`${file}: ${message}`, { fix });
  };
  const entries: ServiceEntry[] = [];
  const secrets = secretFiles(config.secrets, abs);
  if (config.service) {
    if (config.state.dir) fail('state.dir is for `services:`', 'with `service:`, set state.file');
    const { name, auth, errorFiles, timeouts, extraLines, compose: _compose, ...container } = config.service;
    entries.push({
      service: {
        errorFiles: absoluteFiles(errorFiles, abs, file, 'service.errorFiles'),
        name,
        ...containerFields(container, { file, where: 'service', abs, secrets, compose: compose.get(name) }),
        timeouts,
        extraLines,
        mode: 'http',
        bind: null,
        routes: [],
        default: true,
        auth: authSettings(name, auth),
      },
      health: healthSettings(config.health ?? DEFAULT_HEALTH),
      state: { file: abs(config.state.file ?? DEFAULTS.stateFile) },
    });
  } else if (config.services) {
    if (config.state.file) fail('state.file is for `service:`', 'with `services:`, set state.dir');
    const dir = abs(config.state.dir ?? DEFAULTS.stateDir);
    const names = Object.keys(config.services);
    if (names.length === 0) fail('services: is empty', 'define at least one service');
    for (const name of names) {
      const {
        health,
        routes,
        auth,
        bind,
        errorFiles,
        timeouts,
        extraLines,
        mode,
        default: isDefault,
        compose: _compose,
        ...container
      } = config.services[name]!;
      if (mode === 'tcp' && (!bind || routes.length > 0 || isDefault || auth))
        fail(
          `services.${name} is a TCP service: it needs \`bind\` and takes no routes, default or auth`,
          'give it `bind: "address:port"` (its own port) and remove routes/default/auth',
        );
      if (mode === 'http' && bind)
        fail(`services.${name}.bind is for TCP services`, 'add `mode: tcp`, or route it by host with `routes:`');
      entries.push({
        service: {
          name,
          ...containerFields(container, { file, where: `services.${name}`, abs, secrets, compose: compose.get(name) }),
          timeouts,
          extraLines,
          mode,
          default: isDefault,
          bind: bind ?? null,
          errorFiles: absoluteFiles(errorFiles, abs, file, `services.${name}.errorFiles`),
          routes: routes.map((route, i) => parseRoute(route, `services.${name}.routes[${i}]`)),
          auth: authSettings(name, auth),
        },
        health: healthSettings(health),
        state: { file: path.join(dir, `${name}.json`) },
      });
    }
    const binds = new Map<string, string>();
    for (const { service } of entries) {
      if (!service.bind) continue;
      const port = service.bind.split(':')[1];
      const clash = binds.get(port!);
      if (clash)
        fail(`services ${clash} and ${service.name} both bind port ${port}`, 'give each TCP service its own port');
      binds.set(port!, service.name);
    }
    const defaults = entries.filter((e) => e.service.default).map((e) => e.service.name);
    if (defaults.length > 1)
      fail(
        `services ${defaults.join(' and ')} are both marked default`,
        'mark at most one service `default: true`; unmatched requests get a 404 without one',
      );
    for (const { service } of entries)
      if (service.mode === 'http' && service.routes.length === 0 && !service.default)
        fail(
          `services.${service.name} has no routes`,
          'add `routes:` (hosts, optionally with a path) or `default: true`',
        );
    try {
      routingTable(
        entries.map(({ service }) => ({ name: service.name, backend: service.name, routes: service.routes })),
      );
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message, error.fix ?? 'give each route to one service');
      throw error;
    }
  }
  return entries;
}

type ParsedAuth = NonNullable<NonNullable<ParsedConfig['service']>['auth']>;
type ParsedHealth = NonNullable<ParsedConfig['health']>;

function authSettings(service: string, auth: ParsedAuth | undefined): ServiceEntry['service']['auth'] {
  if (!auth) return null;
  const users = Object.entries(auth.users).map(([name, hash]) => ({ name, hash }));
  return { realm: auth.realm ?? service, users };
}

function healthSettings(health: ParsedHealth | typeof DEFAULT_HEALTH): ServiceEntry['health'] {
  return { ...health, host: 'host' in health && health.host ? health.host.toLowerCase() : null };
}

export function tlsSettings(
  tls: NonNullable<ParsedConfig['haproxy']['tls']>,
  file: string,
  abs: (p: string) => string,
  context: { routeHosts: string[]; configFile: string },
): TlsSettings {
  const certificates = (tls.certificates ?? []).map(abs);
  for (const cert of certificates) {
    try {
      safeFsPath(cert, 'haproxy.tls.certificates');
    } catch (error) {
      throw new ConfigError(`${file}: haproxy.tls.certificates: ${messageOf(error)}`, {
        fix: 'choose a path without spaces, quotes or "#"',
      });
    }
  }
  return {
    bind: tls.bind,
    certificates,
    acme: tls.acme ? acmeSettings(tls.acme, file, abs, context) : null,
    redirect: tls.redirect === false ? null : tls.redirect,
    hsts: tls.hsts === false ? null : { maxAge: tls.hsts.maxAge, includeSubDomains: tls.hsts.includeSubDomains },
    minVersion: tls.minVersion,
  };
}

/** Error pages as absolute paths, each one safe to print in haproxy.cfg. */
export function absoluteFiles(
  files: Partial<Record<string, string>>,
  abs: (p: string) => string,
  file: string,
  key: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [status, given] of Object.entries(files)) {
    if (given === undefined) continue;
    const full = abs(given);
    try {
      out[status] = safeFsPath(full, `${key}.${status}`);
    } catch (error) {
      throw new ConfigError(`${file}: ${key}.${status}: ${messageOf(error)}`, {
        fix: 'choose a path without spaces, quotes or "#"',
      });
    }
  }
  return out;
}
