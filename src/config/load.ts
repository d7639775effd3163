import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError, errnoCode, messageOf } from '../core/errors.js';
import { safeFsPath } from '../core/safe-values.js';
import type { Settings } from '../core/settings.js';
import type { ComposeInfo } from './compose-file.js';
import { deprecatedKeys, deprecationMessage } from './deprecated-keys.js';
import { docsPageFor, knownKeysAt, nearestKey } from './key-suggestions.js';
import { absoluteFiles, serviceEntries, tlsSettings } from './normalize.js';
import { CONFIG_ENV, defaultTemplateDir } from './paths.js';
import { configSchema } from './schema.js';

export { CONFIG_ENV, configPath, DEFAULT_CONFIG_FILE } from './paths.js';

/**
 * Every problem on its own line, prefixed with its key path, so one run shows all of them. An
 * unknown key also names the nearest valid one and the docs page of its section.
 */
export function formatZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      if (issue.code !== 'unrecognized_keys') return `${where}: ${issue.message}`;
      const known = knownKeysAt(configSchema, issue.path);
      const hints = issue.keys.flatMap((key) => {
        const nearest = nearestKey(key, known);
        return nearest ? [`did you mean ${nearest} for ${key}?`] : [];
      });
      return `${where}: ${issue.message} (${[...hints, `see ${docsPageFor(issue.path)}`].join(' ')})`;
    })
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

/** Settings from a config's text; a `compose:` service needs loadConfig, which runs the compose tool. */
export function parseConfig(text: string, file: string): Settings {
  return settingsFrom(yamlData(text, file), file, new Map());
}

function settingsFrom(data: unknown, file: string, compose: Map<string, ComposeInfo>): Settings {
  const result = configSchema.safeParse(data);
  if (!result.success) {
    const problems = formatZodError(result.error);
    const count = result.error.issues.length;
    throw new ConfigError(
      `${file}: ${count} invalid setting${count > 1 ? 's' : ''}: ${problems.split('\n').join('; ')}`,
      {
        fix: 'correct the keys named above (see docs/configuration.md)',
      },
    );
  }
  const base = path.dirname(file);
  const abs = (p: string) => path.resolve(base, p);
  const config = result.data;
  const haproxy = {
    ...config.haproxy,
    configFile: abs(config.haproxy.configFile),
    templateDir: config.haproxy.templateDir ? abs(config.haproxy.templateDir) : defaultTemplateDir(base),
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
  const services = serviceEntries(config, file, abs, compose);
  const routeHosts = services.flatMap((e) => e.service.routes.map((r) => r.host));
  const tls = config.haproxy.tls
    ? tlsSettings(config.haproxy.tls, file, abs, { routeHosts, configFile: abs(haproxy.configFile) })
    : null;
  const {
    tls: _tls,
    forwardHeaders,
    accessLog,
    clientTimeout,
    stats,
    extraFrontendLines,
    errorFiles,
    ...haproxyRest
  } = haproxy;
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
    deprecations: deprecatedKeys(data).map(deprecationMessage),
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
      errorFiles: absoluteFiles(errorFiles, abs, file, 'haproxy.errorFiles'),
    },
    service: first.service,
    health: first.health,
    state: first.state,
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
        ? `create it (see linkswitch.example.yml) or pass --config / set ${CONFIG_ENV}`
        : 'check its permissions';
    throw new ConfigError(`cannot read config ${file}: ${code ?? messageOf(error)}`, { fix, cause: error });
  }
  const data = yamlData(text, file);
  // Loaded only for a config that takes a service from compose (the sidecar stays small).
  const compose = hasComposeSource(data)
    ? await (await import('./compose-file.js')).expandCompose(data, file)
    : new Map();
  return settingsFrom(data, file, compose);
}

function hasComposeSource(data: unknown): boolean {
  const root = (data ?? {}) as {
    service?: { compose?: unknown };
    services?: Record<string, { compose?: unknown } | null>;
  };
  return (
    root.service?.compose !== undefined || Object.values(root.services ?? {}).some((s) => s?.compose !== undefined)
  );
}
