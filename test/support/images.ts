import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildHealthcheckBinary, sharedLibraries } from '../../scripts/local-images.js';

// No image can be pulled here, so tests build their own: FROM scratch + this host's node binary
// and the shared libraries ldd lists for it, plus the fixture app. Versions are thin layers.

export const APP_REPO = 'linkswitch-test-app';
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'app');

export interface AppVariant {
  tag: string;
  env: Record<string, string>;
  dockerHealthcheck?: boolean;
}

export const VARIANTS: AppVariant[] = [
  { tag: 'v1', env: { APP_VERSION: 'v1', START_DELAY_MS: '300' } },
  { tag: 'v2', env: { APP_VERSION: 'v2', START_DELAY_MS: '300' } },
  { tag: 'slow', env: { APP_VERSION: 'slow', START_DELAY_MS: '1500' } },
  // Still starting long after a test has acted on a deploy in flight, however slow the machine.
  { tag: 'slower', env: { APP_VERSION: 'slower', START_DELAY_MS: '15000' } },
  { tag: 'unhealthy', env: { APP_VERSION: 'unhealthy', APP_MODE: 'unhealthy' } },
  { tag: 'crash', env: { APP_VERSION: 'crash', APP_MODE: 'crash' } },
  { tag: 'hc', env: { APP_VERSION: 'hc', START_DELAY_MS: '300' }, dockerHealthcheck: true },
  // Healthy to Docker, failing HAProxy's check: the gate before a switch must hold.
  { tag: 'blind', env: { APP_VERSION: 'blind', START_DELAY_MS: '300', APP_MODE: 'blind' }, dockerHealthcheck: true },
  // Canary tests: healthy by /health, but a quarter of real requests fail, or every answer is slow.
  { tag: 'failing', env: { APP_VERSION: 'failing', START_DELAY_MS: '300', APP_FAIL_RATE: '0.25' } },
  {
    tag: 'failing-later',
    env: { APP_VERSION: 'failing-later', START_DELAY_MS: '300', APP_FAIL_RATE: '0.5', APP_FAIL_AFTER_REQUESTS: '1500' },
  },
  { tag: 'sluggish', env: { APP_VERSION: 'sluggish', START_DELAY_MS: '300', APP_RESPONSE_DELAY_MS: '150' } },
];

/**
 * Each Docker health check is an exec through dockerd, containerd and runc: about 70 ms of CPU
 * even for a static binary (35% of a core per container at a 200 ms interval, measured). Checks
 * every 500 ms keep a few containers from loading the two cores; the 5 s timeout leaves a slow
 * hour (or a busy core) ample room before three misses call a healthy app unhealthy.
 */
export const HEALTHCHECK_TIMING = '--interval=500ms --timeout=5s --retries=3';

export function imageRef(tag: string): string {
  return `${APP_REPO}:${tag}`;
}

async function docker(args: string[], cwd?: string): Promise<void> {
  await execa('docker', args, { cwd, env: { DOCKER_BUILDKIT: '0' } });
}

/** Builds the base image (node on scratch) and every variant; Docker's cache makes reruns fast. */
export async function buildTestImages(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-img-'));
  try {
    const node = await realpath(process.execPath);
    await copyFile(node, path.join(dir, 'node'));
    const copies: string[] = [];
    for (const lib of await sharedLibraries(node)) {
      const target = path.join('rootfs', lib);
      await mkdir(path.join(dir, path.dirname(target)), { recursive: true });
      await copyFile(await realpath(lib), path.join(dir, target));
      copies.push(lib);
    }
    await mkdir(path.join(dir, 'app'));
    await writeFile(path.join(dir, 'app', 'server.js'), await readFile(path.join(FIXTURE, 'server.js')));
    await buildHealthcheckBinary(dir);
    await writeFile(
      path.join(dir, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY rootfs/ /',
        'COPY node /node',
        'COPY app/ /app/',
        'COPY healthcheck /healthcheck',
        'ENV PORT=8080',
        'EXPOSE 8080',
        'ENTRYPOINT ["/node", "/app/server.js"]',
        '',
      ].join('\n'),
    );
    await docker(['build', '-q', '-t', imageRef('base'), '.'], dir);
    for (const variant of VARIANTS) {
      const lines = [`FROM ${imageRef('base')}`, ...Object.entries(variant.env).map(([k, v]) => `ENV ${k}=${v}`)];
      if (variant.dockerHealthcheck) lines.push(`HEALTHCHECK ${HEALTHCHECK_TIMING} CMD ["/healthcheck"]`);
      const vdir = path.join(dir, `v-${variant.tag}`);
      await mkdir(vdir);
      await writeFile(path.join(vdir, 'Dockerfile'), `${lines.join('\n')}\n`);
      await docker(['build', '-q', '-t', imageRef(variant.tag), '.'], vdir);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
