import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError, errnoCode, messageOf } from '../core/errors.js';
import { safeFsPath } from '../core/safe-values.js';
import type { Settings } from '../core/settings.js';
import { configSchema } from './schema.js';

/** The validated config with every path made absolute (relative paths are relative to the file). */
export type Config = Settings;

export const CONFIG_ENV = 'LINKSWITCH_CONFIG';
export const DEFAULT_CONFIG_FILE = 'linkswitch.yml';

/** Which file to read: the flag, else $LINKSWITCH_CONFIG, else ./linkswitch.yml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE);
}

/** Every problem on its own line, prefixed with its key path, so one run shows all of them. */
export function formatZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
    .join('\n');
}

export function parseConfig(text: string, file: string): Settings {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`${file}: malformed YAML: ${first.message.split('\n')[0]}`, {
      fix: 'fix the YAML syntax at that line',
    });
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
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
  const unknownSecrets = config.service.secretEnv.filter((name) => !Object.hasOwn(config.service.env, name));
  if (unknownSecrets.length > 0) {
    throw new ConfigError(
      `${file}: service.secretEnv names ${unknownSecrets.join(', ')} which are not in service.env`,
      {
        fix: 'list only variables defined under service.env',
      },
    );
  }
  return { ...config, haproxy, state: { file: abs(config.state.file) }, file };
}

export async function loadConfig(file: string): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    const fix =
      code === 'ENOENT'
        ? `create it (see the README's example) or pass --config / set ${CONFIG_ENV}`
        : 'check its permissions';
    throw new ConfigError(`cannot read config ${file}: ${code ?? messageOf(error)}`, { fix, cause: error });
  }
  return parseConfig(text, file);
}
