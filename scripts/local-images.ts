import { chmod, copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ensureNodeRuntime } from './node-runtime.mjs';

// Images for machines that cannot reach a registry (this one, CI): the `node` and `haproxy`
// images are made FROM scratch out of this host's own binaries and the shared libraries `ldd`
// lists for them, laid out like the official images (/usr/local/bin/node,
// /usr/local/sbin/haproxy) so the repo's Dockerfile and docker-compose.yml work unchanged with
// either. The node image carries the supported Node that scripts/node-runtime.mjs fetches from
// the npm registry, not the host's (Debian 12's Node 20 is past its end of life). Users with a
// registry use node:24-slim and haproxy:3.0 instead.

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_NODE_IMAGE = 'linkswitch-node:local';
export const LOCAL_HAPROXY_IMAGE = 'linkswitch-haproxy:local';
export const SIDECAR_IMAGE = 'linkswitch:local';
export const LOCAL_PEBBLE_IMAGE = 'linkswitch-pebble:local';
/** The user HAProxy and the sidecar run as in docker-compose.yml (LINKSWITCH_UID, LINKSWITCH_GID). */
export const STACK_USER = { uid: 10001, gid: 10001 } as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function docker(args: string[], cwd?: string): Promise<string> {
  // The classic builder: this engine has no buildx, and it is what docker-compose v1 uses too.
  const { stdout } = await execa('docker', args, { cwd, env: { DOCKER_BUILDKIT: '0' } });
  return stdout;
}

/** The shared libraries `ldd` lists for a binary, as absolute host paths. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execa('ldd', [binary]);
  return stdout
    .split('\n')
    .map((line) => /(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((lib): lib is string => Boolean(lib));
}

interface HostBinaryImage {
  tag: string;
  /** Host binary → path inside the image. */
  binaries: Record<string, string>;
  /** Empty directories to create (volume mount points, /tmp). */
  dirs?: string[];
  /** Extra Dockerfile lines after the copies. */
  lines?: string[];
}

/** FROM scratch + host binaries at the given paths + every library they link, at its host path. */
async function buildHostBinaryImage({ tag, binaries, dirs = [], lines = [] }: HostBinaryImage): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-local-img-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    for (const [hostPath, imagePath] of Object.entries(binaries)) {
      const binary = await realpath(hostPath);
      await mkdir(path.join(rootfs, path.dirname(imagePath)), { recursive: true });
      await copyFile(binary, path.join(rootfs, imagePath));
      for (const lib of await sharedLibraries(binary)) {
        await mkdir(path.join(rootfs, path.dirname(lib)), { recursive: true });
        await copyFile(await realpath(lib), path.join(rootfs, lib));
      }
    }
    for (const d of ['tmp', ...dirs]) await mkdir(path.join(rootfs, d), { recursive: true });
    await chmod(path.join(rootfs, 'tmp'), 0o1777);
    await writeFile(
      path.join(dir, 'Dockerfile'),
      ['FROM scratch', 'COPY rootfs/ /', `ENV PATH=${DEFAULT_PATH}`, ...lines, ''].join('\n'),
    );
    await docker(['build', '-q', '-t', tag, '.'], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The supported Node (node-runtime.mjs) at /usr/local/bin/node, as in the official node images. */
export async function buildLocalNodeImage(): Promise<string> {
  await buildHostBinaryImage({
    tag: LOCAL_NODE_IMAGE,
    binaries: { [ensureNodeRuntime()]: '/usr/local/bin/node' },
    lines: ['CMD ["node"]'],
  });
  return LOCAL_NODE_IMAGE;
}

/** This host's haproxy at /usr/local/sbin/haproxy with the official image's directories. */
export async function buildLocalHaproxyImage(hostHaproxy = '/usr/sbin/haproxy'): Promise<string> {
  await buildHostBinaryImage({
    tag: LOCAL_HAPROXY_IMAGE,
    binaries: { [hostHaproxy]: '/usr/local/sbin/haproxy' },
    dirs: ['usr/local/etc/haproxy', 'run/haproxy', 'var/lib/haproxy'],
    // Same stop signal and default command as the official image (soft stop, master-worker).
    lines: [
      'STOPSIGNAL SIGUSR1',
      'ENTRYPOINT ["haproxy"]',
      'CMD ["-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
    ],
  });
  return LOCAL_HAPROXY_IMAGE;
}

/**
 * Debian's Pebble (Let's Encrypt's test CA, `npm run setup` installs it) for compose/pebble.yml:
 * the demo's CA, and the compose stack's ACME test. Its config and certificate are mounted.
 */
export async function buildLocalPebbleImage(hostPebble = '/usr/bin/pebble'): Promise<string> {
  await buildHostBinaryImage({
    tag: LOCAL_PEBBLE_IMAGE,
    binaries: { [hostPebble]: '/usr/bin/pebble' },
    dirs: ['etc/pebble'],
    lines: ['ENTRYPOINT ["/usr/bin/pebble"]', 'CMD ["-config", "/etc/pebble/pebble.json"]'],
  });
  return LOCAL_PEBBLE_IMAGE;
}

const FIXTURE_APP = path.join(ROOT, 'test', 'fixtures', 'app');

/**
 * The test app's Docker HEALTHCHECK command, compiled static (no libraries to copy) into `dir`:
 * a check costs a fork and one request instead of a Node start. Needs gcc and libc6-dev
 * (`npm run setup` installs them where they are missing).
 */
export async function buildHealthcheckBinary(dir: string): Promise<string> {
  const output = path.join(dir, 'healthcheck');
  await execa('gcc', ['-static', '-Os', '-Wall', '-o', output, path.join(FIXTURE_APP, 'healthcheck.c')]);
  return output;
}

/** The example app (test/fixtures/app) answering with its version, on top of `nodeImage`. */
export async function buildAppImage(
  tag: string,
  version: string,
  nodeImage: string,
  env: Record<string, string> = {},
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-app-img-'));
  try {
    await mkdir(path.join(dir, 'app'));
    await writeFile(path.join(dir, 'app', 'server.js'), await readFile(path.join(FIXTURE_APP, 'server.js')));
    const envLines = Object.entries({ APP_VERSION: version, START_DELAY_MS: '300', ...env }).map(
      ([k, v]) => `ENV ${k}=${v}`,
    );
    await writeFile(
      path.join(dir, 'Dockerfile'),
      [
        `FROM ${nodeImage}`,
        'COPY app/ /app/',
        'ENV PORT=8080',
        ...envLines,
        'EXPOSE 8080',
        'ENTRYPOINT ["node", "/app/server.js"]',
        '',
      ].join('\n'),
    );
    await docker(['build', '-q', '-t', tag, '.'], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The base images the compose file takes from HAPROXY_IMAGE and NODE_IMAGE, built locally. */
export async function buildLocalBaseImages(): Promise<{ nodeImage: string; haproxyImage: string }> {
  const [nodeImage, haproxyImage] = await Promise.all([buildLocalNodeImage(), buildLocalHaproxyImage()]);
  return { nodeImage, haproxyImage };
}

/**
 * The Dockerfile's label arguments for these base images (NODE_LINE, HAPROXY_LINE), read from
 * the binaries inside them: the sidecar build checks them against what it copies in.
 */
export async function imageLines(nodeImage: string, haproxyImage: string): Promise<Record<string, string>> {
  const [node, haproxy] = await Promise.all([
    docker(['run', '--rm', '--entrypoint', '/usr/local/bin/node', nodeImage, '-v']),
    docker(['run', '--rm', '--entrypoint', '/usr/local/sbin/haproxy', haproxyImage, '-v']),
  ]);
  const nodeLine = /^v(\d+)\./.exec(node.trim())?.[1];
  const haproxyLine = /version (\d+\.\d+)/i.exec(haproxy)?.[1];
  if (!nodeLine || !haproxyLine) throw new Error(`cannot read the versions of ${nodeImage} / ${haproxyImage}`);
  return { NODE_LINE: nodeLine, HAPROXY_LINE: haproxyLine };
}

/** The sidecar image (the repo's Dockerfile) on the local base images; needs `npm run build` first. */
export async function buildSidecarImage(): Promise<string> {
  const { nodeImage, haproxyImage } = await buildLocalBaseImages();
  await docker(
    [
      'build',
      '-q',
      '-t',
      SIDECAR_IMAGE,
      '--build-arg',
      `NODE_IMAGE=${nodeImage}`,
      '--build-arg',
      `HAPROXY_IMAGE=${haproxyImage}`,
      ...Object.entries(await imageLines(nodeImage, haproxyImage)).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      '.',
    ],
    ROOT,
  );
  return SIDECAR_IMAGE;
}
