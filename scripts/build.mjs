// The second half of `npm run build`, after `tsc` has written dist/:
//  1. dist/shipped-templates.js: the templates this package ships, precompiled by Handlebars. The
//     renderer uses them when the configured templates are byte-for-byte the shipped ones, which
//     saves each command the template compile (about 35 ms); edited templates are compiled at
//     run time as before. Built from the package's own files, so it is as trusted as dist/.
//  2. dist/bundle/: the CLI, bundled by esbuild twice (src/cli/launcher.ts says which runs when).
//     - cli.cjs: one CommonJS file, which the launcher compiles with V8's code cache. Node 20
//       caches nothing for ES modules, and loading the split bundle cost a `status` 30-45 ms.
//     - esm/: ES modules with code splitting, for `serve`: the sidecar loads only its chunks.
//     - bin.cjs: the launcher, the package's bin, with cli.cjs's content hash built in.
//     Both bundles hold the shipped templates (below); dockerode and pino-pretty stay outside:
//     both are loaded on demand through createRequire, and dockerode's trim
//     (src/app/lean-modules.ts) patches the CommonJS loader they go through.
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { precompiledModule } from './precompile-templates.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

const SHARED = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Loaded from node_modules when used: the ACME client and its X.509 helper only for
  // certificate work, so no other command parses them.
  external: ['dockerode', 'pino-pretty', 'acme-client', '@peculiar/x509'],
  sourcemap: true,
  logLevel: 'warning',
};

// src/render/shipped-templates.ts imports dist/shipped-templates.js by a URL computed at run time
// (so that tsc's output and the tests from the sources find it, or do without). In the bundles
// it becomes a literal path, which esbuild bundles: no module is read from disk for it, and the
// CommonJS bundle never starts Node's ES module loader for it (about 40 ms).
const bundleShippedTemplates = {
  name: 'bundle-shipped-templates',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]render[\\/]shipped-templates\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const computed = "new URL('../shipped-templates.js', import.meta.url).href";
      if (!text.includes(computed))
        throw new Error(`${args.path}: the shipped templates' import changed; update ${import.meta.url}`);
      return {
        contents: text.replace(computed, JSON.stringify(path.join(DIST, 'shipped-templates.js'))),
        loader: 'ts',
      };
    });
  },
};

async function bundleCli() {
  const outdir = path.join(DIST, 'bundle');
  await rm(outdir, { recursive: true, force: true });
  const entry = path.join(ROOT, 'src', 'cli', 'bin.ts');
  await build({
    ...SHARED,
    entryPoints: { bin: entry },
    outdir: path.join(outdir, 'esm'),
    splitting: true,
    format: 'esm',
    // Bundled CommonJS packages (handlebars, pino, yaml's helpers) call require() for Node's own
    // modules: give the ESM bundle one.
    banner: {
      js: "import { createRequire as __linkswitchCreateRequire } from 'node:module'; const require = __linkswitchCreateRequire(import.meta.url);",
    },
    plugins: [bundleShippedTemplates],
  });
  const cli = path.join(outdir, 'cli.cjs');
  await build({
    ...SHARED,
    entryPoints: [entry],
    outfile: cli,
    format: 'cjs',
    // The sources locate files (createRequire's base) from import.meta.url.
    define: { 'import.meta.url': '__linkswitchMetaUrl' },
    banner: { js: "var __linkswitchMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [bundleShippedTemplates],
  });
  const hash = createHash('sha256')
    .update(await readFile(cli))
    .digest('hex')
    .slice(0, 16);
  await build({
    ...SHARED,
    entryPoints: [path.join(ROOT, 'src', 'cli', 'launcher.ts')],
    outfile: path.join(outdir, 'bin.cjs'),
    format: 'cjs',
    sourcemap: false,
    define: { LINKSWITCH_CLI_BUILD: JSON.stringify(hash) },
    banner: { js: '#!/usr/bin/env node' },
  });
  await chmod(path.join(outdir, 'bin.cjs'), 0o755);
}

await writeFile(path.join(DIST, 'shipped-templates.js'), await precompiledModule(path.join(ROOT, 'templates')));
await bundleCli();
