import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { parseShortVolume } from './compose-values.js';
import { COMPOSE_KEYS, REFUSED_KEYS } from './schema-container.js';
import { type ComposeSource, composeSourceSchema } from './schema-hooks.js';

// `compose:` — a service's container taken from a compose project, exactly as the compose tool
// resolves it: `docker compose config` (v2; `docker-compose config` for v1) does the
// interpolation, .env and --env-file, override files, profiles and `extends`, and linkswitch
// reads its output. Compose's project-scoped names (`<project>_uploads`, `<project>_default`)
// are turned into the Docker names the accessories' containers use. Runs at config load.

type Raw = Record<string, unknown>;

export interface ComposeInfo {
  files: string[];
  service: string;
  project: string;
  /** The compose services this one depends on: checked to be running before a deploy. */
  dependsOn: string[];
}

/** Keys that are linkswitch's own in a service entry that takes its container from compose. */
const OURS_FOR_CONTAINER = ['env', 'memory', 'stopTimeout', 'pull'];

async function composeCommand(given: string[] | undefined): Promise<string[]> {
  if (given) return given;
  const plugin = await execa('docker', ['compose', 'version', '--short'], { reject: false });
  return plugin.exitCode === 0 ? ['docker', 'compose'] : ['docker-compose'];
}

async function resolvedProject(
  source: ComposeSource,
  base: string,
  where: string,
): Promise<{ doc: Raw; files: string[] }> {
  const files = source.file.map((f) => path.resolve(base, f));
  const [program, ...prefix] = await composeCommand(source.command);
  const version = await execa(program!, [...prefix, 'version', '--short'], { reject: false });
  if (version.exitCode !== 0)
    throw new ConfigError(
      `${where}.compose: cannot run ${[program, ...prefix].join(' ')} (${(version.shortMessage ?? version.stderr).split('\n')[0]})`,
      {
        fix: 'install Docker Compose (v2: the docker compose plugin), or set compose.command',
      },
    );
  const v2 = !version.stdout.trim().startsWith('1.');
  const args = [
    ...prefix,
    ...files.flatMap((f) => ['-f', f]),
    ...(source.project ? ['-p', source.project] : []),
    ...(source.envFile ?? []).flatMap((f) => ['--env-file', path.resolve(base, f)]),
    ...source.profiles.flatMap((p) => ['--profile', p]),
    'config',
    ...(v2 ? ['--format', 'json'] : []),
  ];
  const result = await execa(program!, [...args], { reject: false, cwd: path.dirname(files[0]!) });
  if (result.exitCode !== 0)
    throw new ConfigError(
      `${where}.compose: \`${program} ${args.join(' ')}\` failed: ${result.stderr.trim().split('\n').at(-1)}`,
      {
        fix: 'fix the compose files (docker compose config shows the same error)',
      },
    );
  return { doc: (parse(result.stdout) ?? {}) as Raw, files };
}

/** Compose's project name: given, from the resolved file (v2), or the first file's directory as v1 names it. */
function projectName(doc: Raw, source: ComposeSource, files: string[]): string {
  if (source.project) return source.project;
  if (typeof doc.name === 'string') return doc.name;
  return path
    .basename(path.dirname(files[0]!))
    .toLowerCase()
    .replace(/[^-_a-z0-9]/g, '');
}

function dockerName(top: unknown, key: string, project: string): string {
  const entry = (top as Record<string, Raw | null> | undefined)?.[key];
  if (typeof entry?.name === 'string') return entry.name;
  if (entry?.external === true) return key;
  return `${project}_${key}`;
}

/**
 * Replaces each `compose:` service entry's container keys with the compose service's, resolved.
 * Returns what it found per linkswitch service (for the deploy-time dependency check).
 */
export async function expandCompose(data: unknown, file: string): Promise<Map<string, ComposeInfo>> {
  const found = new Map<string, ComposeInfo>();
  const root = (data ?? {}) as Raw;
  const entries: Array<[string, string, Raw]> = [];
  if (root.service && typeof root.service === 'object')
    entries.push(['service', String((root.service as Raw).name), root.service as Raw]);
  for (const [name, entry] of Object.entries((root.services as Raw | undefined) ?? {}))
    if (entry && typeof entry === 'object') entries.push([`services.${name}`, name, entry as Raw]);
  for (const [where, name, entry] of entries) {
    if (entry.compose === undefined) continue;
    const parsed = composeSourceSchema.safeParse(entry.compose);
    if (!parsed.success) continue; // the config schema reports it, with its key path
    const source = parsed.data;
    const fail = (message: string, fix: string): never => {
      throw new ConfigError(`${file}: ${where}: ${message}`, { fix });
    };
    for (const key of Object.keys(entry))
      if (COMPOSE_KEYS.has(key) || OURS_FOR_CONTAINER.includes(key))
        fail(
          `${key} is set here and the container comes from compose`,
          `remove ${key}: change it in the compose file instead`,
        );
    const { doc, files } = await resolvedProject(source, path.dirname(file), `${file}: ${where}`);
    const composeName = source.service ?? name;
    const services = (doc.services ?? {}) as Record<string, Raw>;
    const service = services[composeName];
    if (!service)
      return fail(
        `the compose files have no service ${JSON.stringify(composeName)} (they have: ${Object.keys(services).join(', ') || 'none'})`,
        'set compose.service to the compose service to deploy',
      );
    const from = `compose service ${composeName} (${files.map((f) => path.basename(f)).join(', ')})`;
    const project = projectName(doc, source, files);
    const keys: Raw = {};
    for (const [key, value] of Object.entries(service)) {
      if (value === null || value === undefined) continue; // v2 prints `command: null` for "not set"
      if (REFUSED_KEYS[key])
        fail(
          `${key} in ${from} is refused: ${REFUSED_KEYS[key]}`,
          `remove ${key} from ${composeName}, or move it to an override file linkswitch is not given`,
        );
      if (!COMPOSE_KEYS.has(key))
        fail(
          `${key} in ${from} is not supported by linkswitch`,
          `remove ${key} from ${composeName}, or move it to an override file linkswitch is not given`,
        );
      keys[key] = value;
    }
    const networkMap = Array.isArray(service.networks)
      ? {}
      : ((service.networks as Record<string, Raw | null> | undefined) ?? {});
    for (const [network, value] of Object.entries(networkMap))
      for (const key of Object.keys(value ?? {}))
        if (key !== 'aliases')
          fail(
            `networks.${network}.${key} in ${from} is not supported`,
            'give the colours aliases only: both colours run at once, so fixed addresses would clash',
          );
    keys.networks = Object.fromEntries(
      Object.entries(normalNetworks(service.networks)).map(([key, value]) => [
        dockerName(doc.networks, key, project),
        value,
      ]),
    );
    if (Array.isArray(service.volumes))
      keys.volumes = service.volumes.map((v) => {
        // v1 prints the short syntax ("uploads:/data:rw"); v2 the long one.
        const long = typeof v === 'string' ? shortAsLong(v) : (v as Raw);
        return long.type === 'volume' && typeof long.source === 'string'
          ? { ...long, source: dockerName(doc.volumes, long.source, project) }
          : long;
      });
    if (Array.isArray(service.secrets)) {
      root.secrets ??= {};
      const secrets = root.secrets as Raw;
      keys.secrets = service.secrets.map((ref) => {
        const { source, target } =
          typeof ref === 'string' ? { source: ref, target: undefined } : (ref as { source: string; target?: string });
        const top = (doc.secrets as Record<string, Raw> | undefined)?.[source];
        if (!top || typeof top.file !== 'string')
          return fail(`secret ${source} in ${from} has no file`, 'give it `file:` in the compose file');
        const dockerSecret = dockerName(doc.secrets, source, project);
        secrets[dockerSecret] = { file: top.file };
        return { source: dockerSecret, target: target ?? source };
      });
    }
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on.map(String)
      : Object.keys((service.depends_on as Raw | undefined) ?? {});
    delete keys.depends_on;
    delete keys.build;
    // The entry becomes compose's container keys plus linkswitch's own (port, routes, health, …).
    const own = { ...entry };
    for (const key of Object.keys(entry)) delete entry[key];
    Object.assign(entry, keys, own);
    found.set(name, { files, service: composeName, project, dependsOn });
  }
  return found;
}

/** Compose's `networks:` (a list, or a map of name → null | {aliases}) as a map. */
function normalNetworks(value: unknown): Record<string, { aliases: string[] } | null> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((n) => [String(n), null]));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, Raw | null>).map(([k, v]) => [
        k,
        v?.aliases ? { aliases: (v.aliases as unknown[]).map(String) } : null,
      ]),
    );
  // No networks: Compose puts the service on the project's default network.
  return { default: null };
}

function shortAsLong(text: string): Raw {
  try {
    const short = parseShortVolume(text);
    return {
      type: short.bind ? 'bind' : 'volume',
      ...(short.source === null ? {} : { source: short.source }),
      target: short.target,
      read_only: short.readOnly,
    };
  } catch {
    return { short: text }; // refused with its reason by the schema (an unknown key here)
  }
}
