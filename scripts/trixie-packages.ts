import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

// Debian 13 (trixie) packages on this Debian 12 machine, without touching the system's apt:
// a private source list and state directory under `cache`, `apt-get download`, `dpkg-deb -x`
// into `cache/root`. Used for HAProxy 3.0 (haproxy/build.ts) and, in the tests, Compose v2 and
// a registry server (test/support/trixie-tools.ts).

export const TRIXIE = 'trixie';

export function aptOptions(cache: string): string[] {
  return [
    '-o',
    `Dir::Etc::SourceList=${path.join(cache, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${path.join(cache, 'lists')}`,
    '-o',
    `Dir::Cache=${path.join(cache, 'apt-cache')}`,
    '-o',
    'Dir::State::Status=/dev/null',
    '-o',
    'APT::Sandbox::User=root',
  ];
}

/** Refreshes the private package lists; returns the candidate version of `name`. */
export async function trixieCandidate(cache: string, name: string): Promise<string> {
  await mkdir(path.join(cache, 'lists', 'partial'), { recursive: true });
  await mkdir(path.join(cache, 'apt-cache', 'archives', 'partial'), { recursive: true });
  await writeFile(
    path.join(cache, 'sources.list'),
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${TRIXIE} main\n`,
  );
  await execa('apt-get', [...aptOptions(cache), 'update', '-qq']);
  const policy = (await execa('apt-cache', [...aptOptions(cache), 'policy', name])).stdout;
  return /Candidate:\s*(\S+)/.exec(policy)?.[1] ?? '';
}

/** Downloads `packages` (name or name=version) and unpacks them all into `cache/root`. */
export async function unpackPackages(cache: string, packages: string[]): Promise<string> {
  const debs = path.join(cache, 'debs');
  const root = path.join(cache, 'root');
  await rm(debs, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
  await mkdir(debs, { recursive: true });
  await execa('apt-get', [...aptOptions(cache), 'download', '-qq', ...packages], { cwd: debs });
  for (const deb of (await readdir(debs)).filter((f) => f.endsWith('.deb'))) {
    await execa('dpkg-deb', ['-x', path.join(debs, deb), root]);
  }
  return root;
}
