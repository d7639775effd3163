// The second half of `npm run build`, after `tsc` has written dist/:
//  1. dist/shipped-templates.js: the templates this package ships, precompiled by Handlebars. The
//     renderer uses them when the configured templates are byte-for-byte the shipped ones, which
//     saves each command the template compile (about 35 ms); edited templates are compiled at
//     run time as before. Built from the package's own files, so it is as trusted as dist/.
//  2. dist/bundle/: the CLI as one ESM bundle with code splitting (esbuild). Node loads a few
//     files instead of hundreds of modules, and the lazily imported verbs stay lazy chunks.
//     dockerode and pino-pretty stay outside: both are loaded on demand through createRequire,
//     and dockerode's trim (src/app/lean-modules.ts) patches the CommonJS loader they go through.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { precompiledModule } from './precompile-templates.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

async function bundleCli() {
  const outdir = path.join(DIST, 'bundle');
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { bin: path.join(ROOT, 'src', 'cli', 'bin.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['dockerode', 'pino-pretty'],
    // Bundled CommonJS packages (handlebars, pino, yaml's helpers) call require() for Node's own
    // modules: give the ESM bundle one.
    banner: {
      js: "import { createRequire as __linkswitchCreateRequire } from 'node:module'; const require = __linkswitchCreateRequire(import.meta.url);",
    },
    sourcemap: true,
    logLevel: 'warning',
  });
}

await writeFile(path.join(DIST, 'shipped-templates.js'), await precompiledModule(path.join(ROOT, 'templates')));
await bundleCli();
