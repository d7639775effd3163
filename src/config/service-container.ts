import path from 'node:path';
import { type CanarySettings, DEFAULT_CANARY } from '../core/canary.js';
import { ConfigError } from '../core/errors.js';
import type { HookPhase, HookSettings } from '../core/hooks.js';
import type { ServiceSettings } from '../core/settings.js';
import type { ComposeInfo } from './compose-file.js';
import { shellWords } from './compose-values.js';
import { type ContainerInput, resolveContainer } from './container.js';
import { DEFAULTS } from './schema-base.js';
import type { ParsedHook } from './schema-hooks.js';

// The container half of one service entry: its keys resolved into ServiceSettings' container
// fields, its hooks into argument lists. Shared by `service:` and each entry of `services:`.

type ContainerFields = Pick<
  ServiceSettings,
  | 'image'
  | 'port'
  | 'env'
  | 'secretEnv'
  | 'labels'
  | 'command'
  | 'pull'
  | 'stopTimeout'
  | 'memory'
  | 'container'
  | 'hooks'
  | 'keepWarm'
  | 'composeSource'
  | 'canary'
  | 'watch'
  | 'slowStart'
  | 'preview'
  | 'maintenance'
>;

export interface ParsedContainer extends Omit<ContainerInput, 'image'> {
  image?: string | undefined;
  port: number;
  secretEnv: string[];
  hooks?: Partial<Record<HookPhase, ParsedHook | ParsedHook[]>> | undefined;
  keepWarm: boolean;
  canary?: CanarySettings | undefined;
  watch: number;
  slowStart: number;
  preview?: { header?: string | undefined; cookie?: string | undefined; token?: string | undefined } | undefined;
  maintenance?: { allow: { ips: string[]; header?: string | undefined; token?: string | undefined } } | undefined;
}

export interface EntryContext {
  file: string;
  where: string;
  abs: (p: string) => string;
  secrets: Record<string, { file: string } | { environment: string }>;
  /** Where the container keys came from, when the entry says `compose:` (compose-file.ts). */
  compose?: ComposeInfo | undefined;
}

export function containerFields(raw: ParsedContainer, ctx: EntryContext): ContainerFields {
  const { port, secretEnv, hooks, keepWarm, canary, watch, slowStart, preview, maintenance, image, ...keys } = raw;
  const composeSource = ctx.compose;
  const from = composeSource ? ` (from compose service ${composeSource.service})` : '';
  if (!image)
    throw new ConfigError(`${ctx.file}: ${ctx.where}.image: missing${from}`, {
      fix: composeSource
        ? 'give the compose service an `image:` (docker compose build tags it)'
        : 'give the image to deploy',
    });
  let resolved: ReturnType<typeof resolveContainer>;
  try {
    resolved = resolveContainer(
      { ...keys, image },
      {
        where: ctx.where,
        abs: ctx.abs,
        secrets: ctx.secrets,
        lookup: (key) => process.env[key],
        defaultStopTimeout: DEFAULTS.stopTimeoutS,
      },
    );
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(`${ctx.file}: ${error.message}${from}`, { fix: error.fix ?? '' });
    throw error;
  }
  if (keys.build !== undefined && !composeSource)
    throw new ConfigError(`${ctx.file}: ${ctx.where}.build: linkswitch deploys images, it does not build them`, {
      fix: 'build the image first (docker build -t <image> .) and remove build:',
    });
  const unknownSecrets = secretEnv.filter((key) => !Object.hasOwn(resolved.env, key));
  if (unknownSecrets.length > 0)
    throw new ConfigError(
      `${ctx.file}: ${ctx.where}.secretEnv names ${unknownSecrets.join(', ')} which are not in its environment`,
      {
        fix: `list only variables defined under ${ctx.where}.env (or environment / env_file)`,
      },
    );
  const { envFileKeys, container, ...rest } = resolved;
  return {
    ...rest,
    image,
    port,
    secretEnv: [...new Set([...secretEnv, ...envFileKeys])],
    container,
    hooks: hookSettings(hooks ?? {}, ctx),
    keepWarm,
    canary: canary ?? DEFAULT_CANARY,
    watch,
    slowStart,
    preview: preview
      ? { header: preview.header ?? null, cookie: preview.cookie ?? null, token: preview.token ?? null }
      : null,
    maintenance: {
      allowIps: maintenance?.allow.ips ?? [],
      allowHeader: maintenance?.allow.header ?? null,
      allowToken: maintenance?.allow.token ?? null,
    },
    composeSource: composeSource ?? null,
  };
}

function hookSettings(hooks: NonNullable<ParsedContainer['hooks']>, ctx: EntryContext): ServiceSettings['hooks'] {
  const out: ServiceSettings['hooks'] = {};
  for (const [phase, given] of Object.entries(hooks) as Array<[HookPhase, ParsedHook | ParsedHook[] | undefined]>) {
    if (!given) continue;
    out[phase] = (Array.isArray(given) ? given : [given]).map((hook): HookSettings => {
      if (hook.command) {
        // A program named by a relative path is the config's neighbour, as the rest of its paths.
        const [program, ...args] = hook.command as [string, ...string[]];
        const argv = [program.includes('/') ? ctx.abs(program) : program, ...args];
        return { kind: 'command', argv, timeout: hook.timeout };
      }
      const container = hook.container!;
      return {
        kind: 'container',
        argv: Array.isArray(container) ? container : shellWords(container),
        timeout: hook.timeout,
      };
    });
  }
  return out;
}

/** The top-level `secrets:` with absolute files. */
export function secretFiles(
  secrets: Record<string, { file: string } | { environment: string }>,
  abs: (p: string) => string,
): Record<string, { file: string } | { environment: string }> {
  return Object.fromEntries(
    Object.entries(secrets).map(([name, secret]) => [
      name,
      'file' in secret ? { file: path.resolve(abs(secret.file)) } : secret,
    ]),
  );
}
