// The alternative to the launcher's hand-written code cache (src/cli/compile-cache.ts), for the
// bench only: Node's own module.enableCompileCache (Node >= 22.1), then the same one-file
// bundle loaded by require(). Usage: node bench/node-compile-cache.cjs <cache dir> <args…>
const path = require('node:path');
const cacheDir = process.argv.splice(2, 1)[0];
require('node:module').enableCompileCache(cacheDir);
require(path.join(__dirname, '..', 'dist', 'bundle', 'cli.cjs'));
