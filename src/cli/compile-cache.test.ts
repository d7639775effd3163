import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDirectory, cacheFileName, compileCached, verbOf } from './compile-cache.js';

describe('verbOf', () => {
  it('finds the verb after global options and their values', () => {
    expect(verbOf(['--lock-wait', '60s', 'rollback', '--json'])).toBe('rollback');
    expect(verbOf(['-c', 'stack.yml', 'status'])).toBe('status');
    expect(verbOf(['deploy', '--image', 'app:2'])).toBe('deploy');
  });

  it('is "none" without a verb (--version, --help, a typo)', () => {
    expect(verbOf(['--version'])).toBe('none');
    expect(verbOf(['deplyo'])).toBe('none');
    expect(verbOf([])).toBe('none');
  });
});

describe('cacheDirectory', () => {
  it('is beside the bundle by default, the given directory, or none when turned off', () => {
    expect(cacheDirectory({}, '/opt/ls/dist/bundle')).toBe('/opt/ls/dist/bundle/compile-cache');
    expect(cacheDirectory({ LINKSWITCH_COMPILE_CACHE: '/var/cache/ls' }, '/b')).toBe('/var/cache/ls');
    for (const off of ['off', '0', 'false']) expect(cacheDirectory({ LINKSWITCH_COMPILE_CACHE: off }, '/b')).toBeNull();
  });
});

describe('cacheFileName', () => {
  const id = { build: 'abc123', verb: 'status', bundleSize: 10, bundleMtimeMs: 5, runtime: 'v20|x64||' };

  it('starts with the build, so that a later build can tell the file is not its own', () => {
    expect(cacheFileName(id)).toMatch(/^abc123-status-[0-9a-f]{16}\.v8cache$/);
  });

  it('differs for another build, verb, bundle size or mtime, or runtime', () => {
    const names = new Set(
      [
        id,
        { ...id, build: 'def456' },
        { ...id, verb: 'rollback' },
        { ...id, bundleSize: 11 },
        { ...id, bundleMtimeMs: 6 },
        { ...id, runtime: 'v20|x64|--lite-mode|' },
      ].map(cacheFileName),
    );
    expect(names.size).toBe(6);
  });
});

describe('compileCached', () => {
  let dir: string;
  let bundle: string;
  let cacheDir: string;
  const require = createRequire(import.meta.url);

  // A CommonJS "bundle" with enough functions for V8 to cache, which reports through module.exports.
  const source = (answer: number) =>
    `${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join('\n')}\n` +
    `module.exports = { answer: f0(${answer}), file: __filename, dir: __dirname, hasRequire: typeof require('node:path').join };\n`;

  const runOnce = (build = 'b1') => {
    const compiled = compileCached(bundle, cacheDir, build, 'status');
    const module = { exports: {} as Record<string, unknown> };
    compiled.run(module.exports, require, module, bundle, path.dirname(bundle));
    return { ...compiled, exports: module.exports };
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-compile-cache-'));
    bundle = path.join(dir, 'cli.cjs');
    cacheDir = path.join(dir, 'cache');
    await writeFile(bundle, source(42));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Whether V8 takes a cache shows only in a fresh process (an isolate remembers what it compiled):
  // test/integration/launcher.test.ts checks that with the built launcher.
  it('runs the bundle as a CommonJS module and writes the cache on save', async () => {
    const first = runOnce();
    expect(first.exports).toEqual({ answer: 42, file: bundle, dir, hasRequire: 'function' });
    expect(first.cacheUsed).toBe(false);
    first.save();
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^b1-status-[0-9a-f]{16}\.v8cache$/);
    expect((await readFile(path.join(cacheDir, files[0] as string))).length).toBeGreaterThan(500);
  });

  it("never runs an edited bundle's code from the old cache, even at the same length", async () => {
    runOnce().save();
    await writeFile(bundle, source(43)); // same length, other content, new mtime
    await utimes(bundle, new Date(), new Date(Date.now() + 5000));
    const edited = runOnce();
    expect(edited.cacheUsed).toBe(false);
    expect(edited.exports.answer).toBe(43);
  });

  it("removes earlier builds' caches when it writes its own", async () => {
    runOnce('old').save();
    runOnce('new').save();
    expect((await readdir(cacheDir)).map((f) => f.split('-')[0])).toEqual(['new']);
  });

  it('runs without a cache directory, and without a word when the cache cannot be written', async () => {
    const compiled = compileCached(bundle, null, 'b1', 'status');
    expect(compiled.cacheUsed).toBe(false);
    compiled.save();
    await writeFile(cacheDir, 'a file where the directory should be');
    const blocked = runOnce();
    expect(() => blocked.save()).not.toThrow();
    expect(blocked.exports.answer).toBe(42);
    expect(await readdir(dir)).toEqual(['cache', 'cli.cjs']);
  });
});
