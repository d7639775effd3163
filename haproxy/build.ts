import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildLocalHaproxyImage } from '../scripts/local-images.js';
import { aptOptions, trixieCandidate, unpackPackages } from '../scripts/trixie-packages.js';

// HAProxy 3.0 for the test matrix, on a machine that reaches Debian's archive but no image
// registry. Debian 13 (trixie) ships HAProxy 3.0; its binary needs trixie's libc and libraries,
// so they are fetched as packages (`apt-get download` with a trixie source list in a private apt
// state directory, `dpkg-deb -x`) and the binary is patched (patchelf) to use that closure:
//   - on the host: haproxy/.cache/3.0/bin/haproxy, loader and rpath pointing into the cache;
//   - in an image: linkswitch-haproxy:3.0, FROM scratch, laid out like the official image
//     (/usr/local/sbin/haproxy, /usr/local/etc/haproxy), the closure in its own directory so the
//     sidecar's Dockerfile can copy the binary and its libraries into any glibc image.
// The master re-executes its own binary on reload, so a wrapper script (or starting it through
// the closure's ld-linux) would not do: the ELF itself must name its loader.
// The 2.6 image is made from this host's own haproxy (scripts/local-images.ts) and tagged here.
// Usage: npx tsx haproxy/build.ts [3.0|2.6]   (prints the binaries, images and exact versions)

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CACHE = path.join(HERE, '.cache', '3.0');

/** Pinned: the Debian 13 package the matrix was last run with; a newer 3.0.x is taken with a warning. */
export const HAPROXY_30 = {
  suite: 'trixie',
  version: '3.0.11-1+deb13u4',
  /** haproxy's shared-library closure (apt-cache depends of its lib* Depends, recursively). */
  libraries: [
    'libc6',
    'libcrypt1',
    'libjemalloc2',
    'liblua5.4-0',
    'libopentracing-c-wrapper0t64',
    'libopentracing1',
    'libpcre2-8-0',
    'libssl3t64',
    'libzstd1',
    'libgcc-s1',
    'libstdc++6',
    'zlib1g',
  ],
  image: 'linkswitch-haproxy:3.0',
} as const;

export const HAPROXY_26_IMAGE = 'linkswitch-haproxy:2.6';

/** Where the image keeps the closure; matches docker/collect-libs.mjs's `*-linux-gnu*` directories. */
const IMAGE_LIBS = '/usr/local/lib/x86_64-linux-gnu-haproxy';

async function fetchPackages(): Promise<{ root: string; version: string }> {
  const candidate = await trixieCandidate(CACHE, 'haproxy');
  if (!candidate.startsWith('3.0.'))
    throw new Error(`Debian ${HAPROXY_30.suite} has no HAProxy 3.0 (candidate ${candidate})`);
  const policy = (await execa('apt-cache', [...aptOptions(CACHE), 'policy', 'haproxy'])).stdout;
  const available = policy.includes(` ${HAPROXY_30.version} `) || candidate === HAPROXY_30.version;
  const version = available ? HAPROXY_30.version : candidate;
  if (!available)
    process.stderr.write(`haproxy/build.ts: ${HAPROXY_30.version} is gone from the archive; using ${version}\n`);
  const root = await unpackPackages(CACHE, [`haproxy=${version}`, ...HAPROXY_30.libraries]);
  await writeFile(path.join(CACHE, 'version'), `${version}\n`);
  return { root, version };
}

/** The closure's loader and libraries, copied into `dir` (one flat directory). */
async function copyClosure(root: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const libDir = path.join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  for (const name of await readdir(libDir)) {
    if (/\.so(\.\d+)*$/.test(name)) await copyFile(path.join(libDir, name), path.join(dir, name));
  }
  await copyFile(path.join(root, 'usr', 'lib64', 'ld-linux-x86-64.so.2'), path.join(dir, 'ld-linux-x86-64.so.2'));
  await chmod(path.join(dir, 'ld-linux-x86-64.so.2'), 0o755);
}

async function patched(source: string, target: string, libs: string): Promise<void> {
  await copyFile(source, target);
  await chmod(target, 0o755);
  await execa('patchelf', [
    '--set-interpreter',
    path.join(libs, 'ld-linux-x86-64.so.2'),
    '--force-rpath',
    '--set-rpath',
    libs,
    target,
  ]);
}

/** Every library the binary loads must come from the closure, not by luck from the host. */
async function assertClosureComplete(binary: string, libs: string): Promise<void> {
  const { stdout } = await execa(path.join(libs, 'ld-linux-x86-64.so.2'), ['--list', binary]);
  const outside = stdout.split('\n').filter((line) => line.includes('=>') && !line.includes(libs));
  if (outside.length > 0) throw new Error(`the HAProxy 3.0 closure lacks: ${outside.map((l) => l.trim()).join('; ')}`);
}

/** HAProxy 3.0 on the host and as an image; cached in haproxy/.cache/3.0 (git-ignored). */
export async function prepareHaproxy30(): Promise<{ binary: string; image: string; version: string }> {
  const binary = path.join(CACHE, 'bin', 'haproxy');
  const fresh = existsSync(binary) && Date.now() - (await stat(binary)).mtimeMs < 7 * 86_400_000;
  let version = fresh ? ((await execa(binary, ['-v'])).stdout.split('\n')[0] ?? '') : '';
  if (!fresh) {
    const fetched = await fetchPackages();
    const hostLibs = path.join(CACHE, 'lib');
    await copyClosure(fetched.root, hostLibs);
    await mkdir(path.dirname(binary), { recursive: true });
    await patched(path.join(fetched.root, 'usr', 'sbin', 'haproxy'), binary, hostLibs);
    // The image: the same closure at IMAGE_LIBS, the binary patched to use it.
    const context = path.join(CACHE, 'image');
    await rm(context, { recursive: true, force: true });
    const rootfs = path.join(context, 'rootfs');
    await copyClosure(fetched.root, path.join(rootfs, IMAGE_LIBS));
    await mkdir(path.join(rootfs, 'usr', 'local', 'sbin'), { recursive: true });
    await patched(
      path.join(fetched.root, 'usr', 'sbin', 'haproxy'),
      path.join(rootfs, 'usr/local/sbin/haproxy'),
      IMAGE_LIBS,
    );
    for (const d of ['tmp', 'usr/local/etc/haproxy', 'run/haproxy', 'var/lib/haproxy'])
      await mkdir(path.join(rootfs, d), { recursive: true });
    await chmod(path.join(rootfs, 'tmp'), 0o1777);
    await writeFile(
      path.join(context, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY rootfs/ /',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        // As the official image: soft stop, master-worker in the foreground.
        'STOPSIGNAL SIGUSR1',
        'ENTRYPOINT ["haproxy"]',
        'CMD ["-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
        '',
      ].join('\n'),
    );
    await execa('docker', ['build', '-q', '-t', HAPROXY_30.image, '.'], {
      cwd: context,
      env: { DOCKER_BUILDKIT: '0' },
    });
    await assertClosureComplete(binary, hostLibs);
    version = (await execa(binary, ['-v'])).stdout.split('\n')[0] ?? fetched.version;
  }
  return { binary, image: HAPROXY_30.image, version };
}

/** The host's own HAProxy (Debian 12: 2.6) as `linkswitch-haproxy:2.6`, the same image the tests use. */
export async function buildHaproxy26Image(): Promise<{ image: string; version: string }> {
  const local = await buildLocalHaproxyImage();
  await execa('docker', ['tag', local, HAPROXY_26_IMAGE]);
  const version = (await execa('docker', ['run', '--rm', HAPROXY_26_IMAGE, '-v'])).stdout.split('\n')[0] ?? '';
  return { image: HAPROXY_26_IMAGE, version };
}

// `npx tsx haproxy/build.ts [3.0|2.6]`: both by default.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const which = process.argv[2];
  const results = [];
  if (which !== '2.6') results.push(await prepareHaproxy30());
  if (which !== '3.0') results.push(await buildHaproxy26Image());
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
