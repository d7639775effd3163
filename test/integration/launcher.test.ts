import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNodeRuntime } from '../../scripts/node-runtime.mjs';
import { endOfLifeWarning } from '../../src/cli/node-support.js';
import { CLI } from '../support/stack.js';

// The built launcher (dist/bundle/bin.cjs) in fresh processes, where V8 really takes or refuses
// a code cache. It writes a verb's cache only when it used none, by renaming a new file over it,
// so an untouched file (same inode) after a run shows the cache was taken.

describe('the launcher: one-file bundle with a V8 code cache per verb, serve from the ES modules', () => {
  let dir: string;
  let cacheDir: string;
  const run = (args: string[], env: Record<string, string> = {}) =>
    execa('node', [CLI, ...args], {
      reject: false,
      env: { LINKSWITCH_COMPILE_CACHE: cacheDir, LINKSWITCH_CONFIG: path.join(dir, 'missing.yml'), ...env },
    });
  const cacheFiles = async () => (await readdir(cacheDir).catch(() => [])).sort();
  const only = async (verb: string) => {
    const files = (await cacheFiles()).filter((f) => f.includes(`-${verb}-`));
    expect(files).toHaveLength(1);
    return path.join(cacheDir, files[0] as string);
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-launcher-'));
    cacheDir = path.join(dir, 'cache');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a cache after the first successful run and takes it on the next', async () => {
    const first = await run(['--version']);
    expect([first.exitCode, first.stdout]).toEqual([0, '0.1.0']);
    const file = await only('none');
    const written = await stat(file);
    expect(written.size).toBeGreaterThan(50_000);

    const second = await run(['--version']);
    expect([second.exitCode, second.stdout]).toEqual([0, '0.1.0']);
    expect((await stat(file)).ino).toBe(written.ino);
  });

  it('runs from the source when the cache is damaged, and writes a good one', async () => {
    await run(['--version']);
    const file = await only('none');
    const good = await stat(file);
    await truncate(file, 4096);
    const truncated = await run(['--version']);
    expect([truncated.exitCode, truncated.stdout]).toEqual([0, '0.1.0']);
    // Rewritten whole (its size varies by a few bytes from run to run).
    expect((await stat(file)).size).toBeGreaterThan(50_000);

    await writeFile(file, Buffer.alloc(good.size, 0x5a));
    const garbage = await run(['--version']);
    expect([garbage.exitCode, garbage.stdout]).toEqual([0, '0.1.0']);
    const rewritten = await stat(file);
    expect((await readFile(file)).subarray(0, 64)).not.toEqual(Buffer.alloc(64, 0x5a));
    expect((await run(['--version'])).exitCode).toBe(0);
    expect((await stat(file)).ino).toBe(rewritten.ino);
  });

  it('keeps no cache of a failed run, and none at all when turned off', async () => {
    const failed = await run(['status']);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain('cannot read config');
    expect(await cacheFiles()).toEqual([]);

    const off = await run(['--version'], { LINKSWITCH_COMPILE_CACHE: 'off' });
    expect([off.exitCode, off.stdout]).toEqual([0, '0.1.0']);
    expect(await cacheFiles()).toEqual([]);
  });

  it('runs serve from the split ES module bundle, past the cache', async () => {
    const help = await run(['serve', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: linkswitch serve');
    expect(await cacheFiles()).toEqual([]);
  });
});

// The machine's own Node (Debian 12's 20, past its end of life) and the supported one the image
// ships (scripts/node-runtime.mjs): the built launcher warns on the first and never on the second.
describe('the launcher on an end-of-life Node', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-eol-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says so once per Node version and user, and says nothing on a supported Node', async () => {
    const nodes = ['/usr/bin/node', ensureNodeRuntime()];
    let warned = 0;
    for (const node of nodes) {
      const version = (await execa(node, ['-v'])).stdout.trim();
      const endOfLife = endOfLifeWarning(version, new Date()) !== null;
      // The suite silences the warning (vitest.config.ts): turn it back on for these runs.
      const env = { XDG_CACHE_HOME: dir, LINKSWITCH_NODE_WARNING: '' };
      const first = await execa(node, [CLI, '--version'], { env });
      const second = await execa(node, [CLI, '--version'], { env });
      expect([first.stdout, second.stdout]).toEqual(['0.1.0', '0.1.0']);
      expect(second.stderr).toBe('');
      if (endOfLife) {
        warned++;
        expect(`${first.stderr}\n`).toBe(endOfLifeWarning(version, new Date()));
        expect((await readdir(path.join(dir, 'linkswitch'))).includes(`node-end-of-life-${version}`)).toBe(true);
      } else {
        expect(first.stderr).toBe('');
      }
    }
    // On this kind of machine (Debian 12, whose Node is 20) one of the two is past its end.
    expect(warned).toBe(1);
  });
});
