import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

// A V8 code cache for the CLI's one-file CommonJS bundle. Node 20 caches no compiled code
// between processes (module.enableCompileCache came with Node 22.1) and none at all for ES
// modules, so every command used to parse and compile its part of the bundle again: 30-45 ms of
// a `status` or a `rollback`. vm.Script takes V8's cached data for a script, so the launcher
// compiles the bundle through it. One cache per verb, written once after the verb's first
// successful run, holds every function that run compiled; the next run of that verb skips them.
//
// V8 checks cached data against its own version and flags and the source's *length*, not its
// content, so the file name carries the bundle's content hash (from the build) and its size and
// mtime: any other bundle gets another file, never this one's code.
//
// It stays on Node 22 and 24 too, where module.enableCompileCache exists: Node's cache is made
// when a module is compiled, so it holds the top-level code but not the functions the command
// compiles lazily while it runs, which this one saves after the run. `npm run bench` times both
// ("Node runtimes" in bench/results.md): on Node 24, `status` took 172 ms with this cache, 224 ms
// with Node's and 260 ms with none in the first comparison (a noisy hour; medians of 15).

/** The verbs of main.ts: a cache per verb, because each compiles a different part of the bundle. */
export const VERBS = [
  'up',
  'deploy',
  'rollback',
  'promote',
  'abort',
  'maintenance',
  'status',
  'render',
  'down',
  'run',
  'serve',
] as const;

/**
 * The verb a command line runs: its first word that names one. A value of an option that
 * happens to be a verb's name only picks another cache file (a slower start, nothing else).
 */
export function verbOf(args: readonly string[]): string {
  return args.find((arg) => (VERBS as readonly string[]).includes(arg)) ?? 'none';
}

/** The cache directory: LINKSWITCH_COMPILE_CACHE (a directory, or `off`), else beside the bundle. */
export function cacheDirectory(env: NodeJS.ProcessEnv, bundleDir: string): string | null {
  const setting = env.LINKSWITCH_COMPILE_CACHE?.trim();
  if (setting === 'off' || setting === '0' || setting === 'false') return null;
  return setting ? path.resolve(setting) : path.join(bundleDir, 'compile-cache');
}

export interface CacheIdentity {
  /** Content hash of the bundle, written into the launcher by the build. */
  build: string;
  verb: string;
  bundleSize: number;
  bundleMtimeMs: number;
  /** Node's version, architecture and V8-relevant flags: another set is another V8's input. */
  runtime: string;
}

/** `<build>-<verb>-<hash of the rest>.v8cache`: the build first, so a later build can prune. */
export function cacheFileName(id: CacheIdentity): string {
  const rest = createHash('sha256')
    .update(JSON.stringify([id.bundleSize, id.bundleMtimeMs, id.runtime]))
    .digest('hex')
    .slice(0, 16);
  return `${id.build}-${id.verb}-${rest}.v8cache`;
}

export function runtimeIdentity(): string {
  return [process.version, process.arch, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''].join('|');
}

/** What CommonJS wraps a module's source in (the bundle is one CommonJS module). */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;

type ModuleFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

/**
 * Compiles `file` (a CommonJS bundle) with the cache in `dir` when there is a usable one.
 * Returns the function that runs it, and `save`, which writes the cache when none was used: the
 * launcher calls it as the process exits with code 0 (a failed run may have compiled too little
 * to be worth keeping), when every function the verb ran is compiled.
 */
export function compileCached(
  file: string,
  dir: string | null,
  build: string,
  verb: string,
): { run: ModuleFunction; cacheUsed: boolean; save: () => void } {
  const source = readFileSync(file, 'utf8');
  const info = statSync(file);
  const name = cacheFileName({
    build,
    verb,
    bundleSize: info.size,
    bundleMtimeMs: info.mtimeMs,
    runtime: runtimeIdentity(),
  });
  const cachePath = dir ? path.join(dir, name) : null;
  let cachedData: Buffer | undefined;
  if (cachePath) {
    try {
      cachedData = readFileSync(cachePath);
    } catch {
      cachedData = undefined; // none yet: this run writes it
    }
  }
  const script = new vm.Script(wrap(source), {
    filename: file,
    cachedData,
    // The bundle imports nothing dynamically today; should it, import() resolves as in any module.
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const save = () => {
    if (dir && cachePath && !cacheUsed) writeCache(dir, cachePath, build, script);
  };
  return { run: script.runInThisContext() as ModuleFunction, cacheUsed, save };
}

/**
 * Writes the cache atomically (temp file, fsync, rename): a torn file must never be read as one,
 * since V8's release builds do not checksum cached data. Then removes earlier builds' caches.
 * Any failure (a read-only install, a full disk) leaves the command as it was: the cache only
 * makes the next start faster, so it is skipped without a word.
 */
function writeCache(dir: string, cachePath: string, build: string, script: vm.Script): void {
  const temp = `${cachePath}.tmp-${process.pid}`;
  try {
    const data = script.createCachedData();
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, cachePath);
    for (const entry of readdirSync(dir)) {
      if (!entry.startsWith(`${build}-`)) rmSync(path.join(dir, entry), { force: true });
    }
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing was written there either
    }
  }
}
