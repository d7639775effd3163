import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { DockerError, errnoCode, RegistryAuthError } from '../core/errors.js';
import { type DockerClient, dockerMessage, statusCode } from './docker-client.js';

// The credentials the Docker CLI would use for an image's registry: $DOCKER_CONFIG/config.json
// (default ~/.docker), `credHelpers` for that registry, else its `auths` entry, else the
// `credsStore` helper (`docker-credential-<name> get`, the server on stdin). They go to the
// engine in the X-Registry-Auth header of the pull or the Swarm service request only: never
// logged, never written to the state, never in an error message.

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

/** Where the credentials came from, for messages (never the credentials themselves). */
export interface FoundAuth {
  auth: RegistryAuth;
  source: string;
  username: string | null;
}

const DOCKER_HUB = 'docker.io';
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** The registry of an image reference: its first component when it has a "." or ":" or is localhost. */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : DOCKER_HUB;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

async function readDockerConfig(env: NodeJS.ProcessEnv): Promise<{ file: string; config: DockerConfigFile } | null> {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  try {
    return { file, config: JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw new DockerError(`cannot read the Docker credentials in ${file}: ${errnoCode(error) ?? 'malformed JSON'}`, {
      fix: 'fix or remove the file (docker login writes it)',
      cause: error,
    });
  }
}

function keysFor(registry: string): string[] {
  return registry === DOCKER_HUB
    ? HUB_KEYS
    : [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`];
}

async function fromHelper(helper: string, registry: string, source: string): Promise<FoundAuth | null> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(helper))
    throw new DockerError(`invalid credential helper name in ${source}`, {
      fix: 'use the helper name docker login set',
    });
  const server = registry === DOCKER_HUB ? HUB_KEYS[0]! : registry;
  const result = await execa(`docker-credential-${helper}`, ['get'], { input: server, reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) {
    // "credentials not found" is the helpers' way of saying: none for this server.
    if (/not found/i.test(`${result.stdout}${result.stderr}`)) return null;
    throw new DockerError(
      `the credential helper docker-credential-${helper} failed for ${registry} (exit ${result.exitCode ?? 'none'})`,
      {
        fix: `check that docker-credential-${helper} is installed and on PATH, or run \`docker login ${registry}\``,
      },
    );
  }
  const { Username, Secret } = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
  if (!Secret) return null;
  const auth: RegistryAuth =
    Username === '<token>'
      ? { identitytoken: Secret, serveraddress: server }
      : { username: Username ?? '', password: Secret, serveraddress: server };
  return { auth, source: `docker-credential-${helper}`, username: Username === '<token>' ? null : (Username ?? null) };
}

/** The credentials for `image`'s registry, or null when the Docker CLI would pull anonymously. */
export async function registryAuthFor(image: string, env: NodeJS.ProcessEnv = process.env): Promise<FoundAuth | null> {
  const registry = registryOf(image);
  const found = await readDockerConfig(env);
  if (!found) return null;
  const { file, config } = found;
  const helper = config.credHelpers?.[registry];
  if (helper) return fromHelper(helper, registry, file);
  for (const key of keysFor(registry)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    const serveraddress = registry === DOCKER_HUB ? HUB_KEYS[0]! : registry;
    if (entry.identitytoken)
      return { auth: { identitytoken: entry.identitytoken, serveraddress }, source: file, username: null };
    let username = entry.username;
    let password = entry.password;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      if (at < 0)
        throw new DockerError(`the auth entry for ${registry} in ${file} is malformed`, {
          fix: `run \`docker login ${registry}\` again`,
        });
      username = decoded.slice(0, at);
      password = decoded.slice(at + 1);
    }
    if (username !== undefined && password !== undefined)
      return { auth: { username, password, serveraddress }, source: file, username };
  }
  if (config.credsStore) return fromHelper(config.credsStore, registry, file);
  return null;
}

/**
 * A refusal by the registry, as the engine reports it (a 401 relayed in its message, or
 * "pull access denied"): read in this one place and turned into a RegistryAuthError.
 */
export function registryRefusal(error: unknown, image: string, found: FoundAuth | null): RegistryAuthError | null {
  const message = dockerMessage(error);
  if (
    !/unauthorized|authentication required|no basic auth credentials|access denied|denied: requested access/i.test(
      message,
    ) &&
    statusCode(error) !== 401
  )
    return null;
  const registry = registryOf(image);
  const who = found
    ? `the credentials${found.username ? ` for ${found.username}` : ''} from ${found.source}`
    : 'an anonymous pull (no credentials found)';
  return new RegistryAuthError(`registry ${registry} refused ${who} for ${image}`, {
    fix: `run \`${registry === DOCKER_HUB ? 'docker login' : `docker login ${registry}`}\`${found ? ' with the right password' : ''} (or point DOCKER_CONFIG at the right config); nothing was changed`,
  });
}

/** Pulls `image` with the credentials found for it; a refusal is a RegistryAuthError, nothing else changes. */
export async function pullImage(client: DockerClient, image: string, found: FoundAuth | null): Promise<void> {
  const { api } = client;
  try {
    // The credentials as the 4th argument: the X-Registry-Auth header, never the query string.
    const pull = api.pull.bind(api) as (
      ref: string,
      o: object,
      cb: undefined,
      auth?: object,
    ) => Promise<NodeJS.ReadableStream>;
    const stream = await pull(image, {}, undefined, found?.auth);
    await new Promise<void>((resolve, reject) =>
      api.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } catch (error) {
    const refused = registryRefusal(error, image, found);
    if (refused) throw refused;
    throw new DockerError(`image ${image} does not exist locally and cannot be pulled: ${dockerMessage(error)}`, {
      fix: 'check the image name and tag, or build/load it on this host (docker build / docker load)',
      cause: error,
    });
  }
}
