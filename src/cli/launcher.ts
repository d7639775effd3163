// The package's bin (dist/bundle/bin.cjs), built by scripts/build.mjs as CommonJS: it is only
// ever run from there, where __dirname is the bundle directory. It picks one of two builds of
// the same CLI (src/cli/bin.ts):
//  - `serve`, the long-lived sidecar, runs the split ES module bundle (esm/bin.js): it loads only
//    the chunks it uses, about 7 MiB less resident memory than the one-file bundle.
//  - every other verb runs the one-file CommonJS bundle (cli.cjs) through V8's code cache
//    (compile-cache.ts), which takes 30-45 ms off a `status` or a `rollback`.
// Either way, on a Node past its end of life it first says so, once (node-support.ts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDirectory, compileCached, verbOf } from './compile-cache.js';
import { warnOnceIfEndOfLife } from './node-support.js';

/** The content hash of cli.cjs, put in by the build (esbuild's `define`). */
declare const LINKSWITCH_CLI_BUILD: string;

warnOnceIfEndOfLife();
const verb = verbOf(process.argv.slice(2));
if (verb === 'serve') {
  import(pathToFileURL(path.join(__dirname, 'esm', 'bin.js')).href).catch((error: unknown) => {
    process.stderr.write(`linkswitch: cannot load the sidecar's bundle: ${String(error)}\n`);
    process.exitCode = 1;
  });
} else {
  const file = path.join(__dirname, 'cli.cjs');
  const { run, save } = compileCached(file, cacheDirectory(process.env, __dirname), LINKSWITCH_CLI_BUILD, verb);
  process.once('exit', (code) => {
    if (code === 0) save();
  });
  const module = { exports: {} };
  run(module.exports, require, module, file, __dirname);
}
