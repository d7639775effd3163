import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trixieCandidate, unpackPackages } from '../../scripts/trixie-packages.js';

// Tools the tests run that Debian 12 lacks or has too old: Compose v2 (Debian 13's
// docker-compose 2.x, a `docker compose` CLI plugin that also runs on its own), a registry
// server (Debian 13's docker-registry, distribution 2.8) and Pebble 2.6, which serves ACME
// renewal information (Debian 12's 2.4 does not). Go binaries that need only libc; fetched once
// into .cache/tools (git-ignored).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, '.cache', 'tools');

const TOOLS = {
  compose: { pkg: 'docker-compose', from: 'usr/libexec/docker/cli-plugins/docker-compose', major: '2.' },
  registry: { pkg: 'docker-registry', from: 'usr/bin/docker-registry', major: '2.' },
  pebble: { pkg: 'pebble', from: 'usr/bin/pebble', major: '2.' },
  challtestsrv: { pkg: 'pebble', from: 'usr/bin/pebble-challtestsrv', major: '2.' },
} as const;

/** The binary of a trixie tool, fetched on first use. */
export async function trixieTool(name: keyof typeof TOOLS): Promise<string> {
  const tool = TOOLS[name];
  const binary = path.join(CACHE, 'bin', path.basename(tool.from));
  if (existsSync(binary)) return binary;
  const cache = path.join(CACHE, name);
  const candidate = await trixieCandidate(cache, tool.pkg);
  if (!candidate.startsWith(tool.major))
    throw new Error(`Debian 13 has no ${tool.pkg} ${tool.major}x (candidate ${candidate})`);
  const root = await unpackPackages(cache, [`${tool.pkg}=${candidate}`]);
  await mkdir(path.dirname(binary), { recursive: true });
  await copyFile(path.join(root, tool.from), binary);
  return binary;
}
