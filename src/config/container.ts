import { readFileSync } from 'node:fs';
import { type ContainerSpec, emptyContainerSpec } from '../core/container-spec.js';
import { ConfigError, errnoCode, LinkswitchError, messageOf } from '../core/errors.js';
import { safeHost, safeIpv4 } from '../core/safe-values.js';
import type { PullPolicy } from '../core/settings.js';
import { keyValues, parseEnvFile, shellWords } from './compose-values.js';
import { resolveMounts } from './container-mounts.js';
import { ENV_KEY, LABEL_KEY } from './schema-base.js';
import type { ComposeContainer } from './schema-container.js';

// From a service's container keys (linkswitch's own and Compose's, as parsed) to what the engines
// run: env merged from env files and `environment`, command words, sizes, mounts with absolute
// sources, networks, secrets from their files. Reads env files (small, at config load).

export interface ContainerInput extends ComposeContainer {
  image: string;
  env?: Record<string, string> | undefined;
  command?: string | string[] | undefined;
  labels?: Record<string, string | number | boolean | null> | string[] | undefined;
  memory?: string | undefined;
  stopTimeout?: number | undefined;
  pull?: PullPolicy | undefined;
}

export interface ResolvedContainer {
  env: Record<string, string>;
  /** Keys whose values came from env files: treated as secrets (never printed). */
  envFileKeys: string[];
  labels: Record<string, string>;
  command: string[] | undefined;
  memory: string | undefined;
  stopTimeout: number;
  pull: PullPolicy;
  container: ContainerSpec;
}

export interface ResolveContext {
  /** "services.web" or "service": where the keys sit, for messages. */
  where: string;
  /** Makes a path from the config (or compose file) absolute. */
  abs: (p: string) => string;
  /** The top-level `secrets:`: name → file (absolute) or environment variable. */
  secrets: Record<string, { file: string } | { environment: string }>;
  lookup: (key: string) => string | undefined;
  defaultStopTimeout: number;
}

export function resolveContainer(input: ContainerInput, ctx: ResolveContext): ResolvedContainer {
  const fail = (key: string, message: string, fix: string): never => {
    throw new ConfigError(`${ctx.where}.${key}: ${message}`, { fix });
  };
  for (const [ours, compose] of [
    ['env', 'environment'],
    ['memory', 'mem_limit'],
    ['stopTimeout', 'stop_grace_period'],
    ['pull', 'pull_policy'],
  ] as const) {
    if (input[ours] !== undefined && input[compose] !== undefined)
      fail(compose, `both ${ours} and ${compose} are set`, `keep one of them (${compose} is Compose's name)`);
  }
  const spec = emptyContainerSpec();

  const fileEnv: Record<string, string> = {};
  const files = input.env_file === undefined ? [] : Array.isArray(input.env_file) ? input.env_file : [input.env_file];
  for (const entry of files) {
    const { path: given, required } = typeof entry === 'string' ? { path: entry, required: true } : entry;
    const file = ctx.abs(given);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (!required && errnoCode(error) === 'ENOENT') continue;
      return fail(
        'env_file',
        `cannot read ${file}: ${errnoCode(error) ?? messageOf(error)}`,
        'create it or fix the path',
      );
    }
    try {
      Object.assign(fileEnv, parseEnvFile(text, ctx.lookup));
    } catch (error) {
      return fail('env_file', `${file}: ${messageOf(error)}`, 'write one KEY=VALUE per line (# for comments)');
    }
  }
  const given = input.env ?? keyValues(input.environment ?? {}, ctx.lookup);
  const env: Record<string, string> = { ...fileEnv };
  for (const [key, value] of Object.entries(given)) {
    // Compose: a variable without a value that the environment does not define is left out.
    if (value === null) continue;
    env[key] = value;
  }
  for (const key of Object.keys(env))
    if (!ENV_KEY.test(key))
      fail('environment', `invalid environment variable name ${JSON.stringify(key)}`, 'use letters, digits and "_"');

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(keyValues(input.labels ?? {}, () => undefined))) {
    if (!LABEL_KEY.test(key) || key.startsWith('linkswitch.'))
      fail(
        'labels',
        `invalid label name ${JSON.stringify(key)}`,
        'use letters, digits, ".", "_", "/" and "-", not the reserved "linkswitch." prefix',
      );
    labels[key] = value ?? '';
  }

  const words = (key: string, value: string | string[] | null | undefined): string[] | null => {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value;
    try {
      return shellWords(value);
    } catch (error) {
      return fail(key, messageOf(error), 'close the quote, or give the command as a list');
    }
  };
  const command = words('command', input.command) ?? undefined;
  spec.entrypoint = words('entrypoint', input.entrypoint);
  spec.workingDir = input.working_dir ?? null;
  spec.user = input.user ?? null;

  spec.mounts = resolveMounts(input, ctx, fail);

  const networks = Array.isArray(input.networks)
    ? input.networks.map((name) => ({ name, aliases: [] as string[] }))
    : Object.entries(input.networks ?? {}).map(([name, entry]) => ({ name, aliases: entry?.aliases ?? [] }));
  for (const network of networks) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(network.name))
      fail('networks', `invalid network name ${JSON.stringify(network.name)}`, 'use letters, digits, "_", "." and "-"');
    for (const alias of network.aliases) safeChecked('networks', () => safeHost(alias, 'network alias'), fail);
  }
  spec.networks = networks;

  const hosts = Array.isArray(input.extra_hosts)
    ? (input.extra_hosts ?? []).map((item) => {
        const match = /^([^:=\s]+)[:=](.+)$/.exec(item);
        return match
          ? { host: match[1]!, ip: match[2]! }
          : fail('extra_hosts', `invalid entry ${JSON.stringify(item)}`, 'write "host:ip"');
      })
    : Object.entries(input.extra_hosts ?? {}).map(([host, ip]) => ({ host, ip }));
  for (const { host, ip } of hosts) {
    safeChecked('extra_hosts', () => safeHost(host, 'extra host name'), fail);
    if (ip !== 'host-gateway' && !/^[0-9a-fA-F:.]{2,45}$/.test(ip))
      fail(
        'extra_hosts',
        `invalid address ${JSON.stringify(ip)} for ${host}`,
        'give an IPv4/IPv6 address or host-gateway',
      );
  }
  spec.extraHosts = hosts;
  spec.dns = (input.dns ?? []).map((ip) => safeChecked('dns', () => safeIpv4(ip, 'DNS server'), fail));

  if (input.restart) {
    const [name, max] = input.restart.split(':') as [ContainerSpec['restart']['name'], string | undefined];
    spec.restart = { name, maxRetries: max ? Number(max) : 0 };
  }
  const check = input.healthcheck;
  if (check) {
    if (check.disable) spec.healthcheck = { disable: true };
    else {
      const test =
        check.test === undefined ? null : typeof check.test === 'string' ? ['CMD-SHELL', check.test] : check.test;
      if (test && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!))
        fail(
          'healthcheck.test',
          `starts with ${JSON.stringify(test[0])}`,
          'start the list with "CMD" or "CMD-SHELL", or give a string',
        );
      if (test?.[0] === 'NONE') spec.healthcheck = { disable: true };
      else if (!test) fail('healthcheck.test', 'missing', 'give the check command, or `disable: true`');
      else
        spec.healthcheck = {
          disable: false,
          test,
          intervalMs: check.interval ?? null,
          timeoutMs: check.timeout ?? null,
          retries: check.retries ?? null,
          startPeriodMs: check.start_period ?? null,
        };
    }
  }
  spec.stopSignal = input.stop_signal ?? null;
  spec.cpus = input.cpus ?? null;
  spec.ulimits = Object.entries(input.ulimits ?? {}).map(([name, limit]) =>
    typeof limit === 'number' ? { name, soft: limit, hard: limit } : { name, ...limit },
  );
  spec.capAdd = input.cap_add ?? [];
  spec.capDrop = input.cap_drop ?? [];
  spec.securityOpt = input.security_opt ?? [];
  spec.readOnly = input.read_only ?? false;
  spec.init = input.init ?? null;
  spec.shmSizeBytes = input.shm_size ?? null;
  for (const [key, value] of Object.entries(keyValues(input.sysctls ?? {}, () => undefined))) {
    if (!/^[a-z0-9_./-]{1,128}$/.test(key) || value === null || /[\0\n]/.test(value))
      fail('sysctls', `invalid sysctl ${JSON.stringify(key)}`, 'write e.g. net.core.somaxconn: 1024');
    spec.sysctls[key] = value as string;
  }
  spec.logging = input.logging ? { driver: input.logging.driver, options: input.logging.options ?? {} } : null;

  spec.secrets = (input.secrets ?? []).map((ref) => {
    const { source, target } = typeof ref === 'string' ? { source: ref, target: undefined } : ref;
    const secret = ctx.secrets[source];
    if (!secret)
      return fail(
        'secrets',
        `secret ${JSON.stringify(source)} is not defined`,
        `define it under the top-level secrets: (${source}: {file: ./path})`,
      );
    if (!('file' in secret))
      return fail(
        'secrets',
        `secret ${source} comes from an environment variable`,
        'give it a file: linkswitch mounts secrets as files',
      );
    const path =
      target === undefined ? `/run/secrets/${source}` : target.startsWith('/') ? target : `/run/secrets/${target}`;
    if (/[\0\n]/.test(path)) return fail('secrets', `invalid target for ${source}`, 'use a plain file name');
    return { name: source, file: secret.file, target: path };
  });
  spec.expose = (input.expose ?? []).map((port) => {
    const n = Number(String(port).replace(/\/tcp$/, ''));
    return Number.isInteger(n) && n >= 1 && n <= 65535
      ? n
      : fail('expose', `invalid port ${JSON.stringify(port)}`, 'give container ports such as 9090');
  });

  const pull: PullPolicy =
    input.pull ??
    (input.pull_policy === 'if_not_present' || input.pull_policy === 'build'
      ? 'missing'
      : (input.pull_policy ?? 'missing'));
  return {
    env,
    envFileKeys: Object.keys(fileEnv).filter((key) => given[key] === undefined),
    labels,
    command,
    memory: input.memory ?? (input.mem_limit === undefined ? undefined : String(input.mem_limit)),
    stopTimeout:
      input.stopTimeout ??
      (input.stop_grace_period === undefined ? ctx.defaultStopTimeout : Math.ceil(input.stop_grace_period / 1000)),
    pull,
    container: spec,
  };
}

function safeChecked<T>(key: string, check: () => T, fail: (key: string, message: string, fix: string) => never): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof LinkswitchError) return fail(key, error.message, error.fix ?? 'correct the value');
    throw error;
  }
}
