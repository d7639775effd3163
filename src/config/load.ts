import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError, errnoCode, messageOf } from '../core/errors.js';
import { parseRoute, routingTable } from '../core/routing.js';
import { safeFsPath } from '../core/safe-values.js';
import type { ServiceEntry, Settings, TlsSettings } from '../core/settings.js';
import { CONFIG_ENV } from './paths.js';
import { configSchema, DEFAULTS, type ParsedConfig } from './schema.js';

const DEFAULT_HEALTH = {
  path: DEFAULTS.healthPath,
  interval: DEFAULTS.healthIntervalMs,
  timeout: DEFAULTS.healthTimeoutMs,
  probeTimeout: DEFAULTS.probeTimeoutMs,
  use: 'auto' as const,
  expectStatus: 200,
};

export { CONFIG_ENV, configPath, DEFAULT_CONFIG_FILE } from './paths.js';

/** Every problem on its own line, prefixed with its key path, so one run shows all of them. */
export function formatZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
    .join('\n');
}

/** A config is a page of YAML; anything near this size is a mistake (or an attack), not a config. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML aliases expand: a few lines of nested aliases can stand for billions of nodes. */
const MAX_ALIAS_COUNT = 100;

/** The YAML as plain data, refusing documents that would exhaust memory when expanded. */
function yamlData(text: string, file: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw new ConfigError(`${file}: config larger than ${MAX_CONFIG_BYTES / 1024} KiB`, {
      fix: 'point --config at the linkswitch config file; it is a page of YAML',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`${file}: malformed YAML: ${first.message.split('\n')[0]}`, {
      fix: 'fix the YAML syntax at that line',
    });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // The yaml library's only throw here is its alias-expansion guard (a ReferenceError).
    throw new ConfigError(`${file}: YAML aliases expand too far (${messageOf(error)})`, {
      fix: `use at most ${MAX_ALIAS_COUNT} alias expansions; write the values out instead of nesting aliases`,
      cause: error,
    });
  }
}

export function parseConfig(text: string, file: string): Settings {
  const result = configSchema.safeParse(yamlData(text, file));
  if (!result.success) {
    const problems = formatZodError(result.error);
    const count = result.error.issues.length;
    throw new ConfigError(
      `${file}: ${count} invalid setting${count > 1 ? 's' : ''}: ${problems.split('\n').join('; ')}`,
      {
        fix: 'correct the keys named above (see the config reference in the README)',
      },
    );
  }
  const base = path.dirname(file);
  const abs = (p: string) => path.resolve(base, p);
  const config = result.data;
  const haproxy = {
    ...config.haproxy,
    configFile: abs(config.haproxy.configFile),
    templateDir: abs(config.haproxy.templateDir),
    masterSocket: abs(config.haproxy.masterSocket),
    adminSocket: abs(config.haproxy.adminSocket),
    pidFile: abs(config.haproxy.pidFile),
    // A bare binary name is looked up on PATH; anything with a slash is a path.
    binary: config.haproxy.binary.includes('/') ? abs(config.haproxy.binary) : config.haproxy.binary,
  };
  for (const key of ['adminSocket', 'masterSocket', 'pidFile', 'configFile'] as const) {
    try {
      safeFsPath(haproxy[key], `haproxy.${key}`);
    } catch (error) {
      throw new ConfigError(`${file}: haproxy.${key}: ${messageOf(error)}`, {
        fix: 'choose a path without spaces, quotes or "#"',
      });
    }
  }
  const services = serviceEntries(config, file, abs);
  const tls = config.haproxy.tls ? tlsSettings(config.haproxy.tls, file, abs) : null;
  const { tls: _tls, forwardHeaders, accessLog, clientTimeout, stats, extraFrontendLines, ...haproxyRest } = haproxy;
  const taken = [config.haproxy.bind, ...(tls ? [tls.bind] : [])].map((b) => b.split(':')[1]);
  for (const { service } of services) {
    if (service.bind && taken.includes(service.bind.split(':')[1]))
      throw new ConfigError(
        `${file}: services.${service.name}.bind uses the port of haproxy.bind or haproxy.tls.bind`,
        {
          fix: 'give the TCP service a port of its own',
        },
      );
  }
  const first = services[0]!;
  return {
    ...config,
    haproxy: haproxyRest,
    file,
    multi: config.services !== undefined,
    services,
    tls,
    edge: {
      forwardHeaders,
      // Absent: decided by where HAProxy runs (the composition root: withAccessLogTarget).
      accessLog: { target: accessLog.target ?? null, format: accessLog.format },
      clientTimeout,
      stats: stats ?? null,
      extraFrontendLines,
    },
    service: first.service,
    health: first.health,
    state: first.state,
  };
}

function serviceEntries(config: ParsedConfig, file: string, abs: (p: string) => string): ServiceEntry[] {
  const fail = (message: string, fix: string) => {
    throw new ConfigError(`${file}: ${message}`, { fix });
  };
  const entries: ServiceEntry[] = [];
  if (config.service) {
    if (config.state.dir) fail('state.dir is for `services:`', 'with `service:`, set state.file');
    const { name, auth, ...container } = config.service;
    entries.push({
      service: {
        name,
        ...container,
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
      const { health, routes, auth, bind, ...container } = config.services[name]!;
      if (container.mode === 'tcp' && (!bind || routes.length > 0 || container.default || auth))
        fail(
          `services.${name} is a TCP service: it needs \`bind\` and takes no routes, default or auth`,
          'give it `bind: "address:port"` (its own port) and remove routes/default/auth',
        );
      if (container.mode === 'http' && bind)
        fail(`services.${name}.bind is for TCP services`, 'add `mode: tcp`, or route it by host with `routes:`');
      entries.push({
        service: {
          name,
          ...container,
          bind: bind ?? null,
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
      if (error instanceof ConfigError) fail(error.shortMessage, error.fix ?? 'give each route to one service');
      throw error;
    }
  }
  for (const { service } of entries) {
    const unknownSecrets = service.secretEnv.filter((key) => !Object.hasOwn(service.env, key));
    const where = config.service ? 'service' : `services.${service.name}`;
    if (unknownSecrets.length > 0)
      fail(
        `${where}.secretEnv names ${unknownSecrets.join(', ')} which are not in ${where}.env`,
        `list only variables defined under ${where}.env`,
      );
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

function tlsSettings(
  tls: NonNullable<ParsedConfig['haproxy']['tls']>,
  file: string,
  abs: (p: string) => string,
): TlsSettings {
  const certificates = tls.certificates.map(abs);
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
    redirect: tls.redirect === false ? null : tls.redirect,
    hsts: tls.hsts === false ? null : { maxAge: tls.hsts.maxAge, includeSubDomains: tls.hsts.includeSubDomains },
    minVersion: tls.minVersion,
  };
}

export async function loadConfig(file: string): Promise<Settings> {
  let text: string;
  try {
    // Size first: never read a multi-GB file (a device, a log named by mistake) into memory.
    const info = await stat(file);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(`${file}: config larger than ${MAX_CONFIG_BYTES / 1024} KiB (${info.size} bytes)`, {
        fix: 'point --config at the linkswitch config file; it is a page of YAML',
      });
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = errnoCode(error);
    const fix =
      code === 'ENOENT'
        ? `create it (see the README's example) or pass --config / set ${CONFIG_ENV}`
        : 'check its permissions';
    throw new ConfigError(`cannot read config ${file}: ${code ?? messageOf(error)}`, { fix, cause: error });
  }
  return parseConfig(text, file);
}
