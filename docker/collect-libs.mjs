// Usage: node collect-libs.mjs <haproxy-image-root> <out>
// Copies into <out> every shared library of the haproxy image (at the same path) that this
// image does not have, so the haproxy binary copied next to them runs with this image's own
// loader and libc. Both images must be glibc-based (the official ones are Debian bookworm).
// Plain file operations in node: no shell, ldd or package manager is needed in either image.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const [root, out] = process.argv.slice(2);
if (!root || !out) throw new Error('usage: node collect-libs.mjs <haproxy-image-root> <out>');
const LIBRARY = /\.so(\.\d+)*$/;
const isRealDir = (p) => existsSync(p) && lstatSync(p).isDirectory(); // a merged-/usr symlink is skipped

const dirs = [];
for (const base of ['lib', 'lib64', 'usr/lib', 'usr/local/lib']) {
  if (!isRealDir(path.join(root, base))) continue;
  dirs.push(base);
  for (const sub of readdirSync(path.join(root, base))) {
    if (/-linux-gnu/.test(sub) && isRealDir(path.join(root, base, sub))) dirs.push(path.join(base, sub));
  }
}
mkdirSync(out, { recursive: true });
let copied = 0;
for (const dir of dirs) {
  for (const name of readdirSync(path.join(root, dir))) {
    if (!LIBRARY.test(name)) continue;
    const rel = path.join(dir, name);
    if (existsSync(path.join('/', rel))) continue;
    mkdirSync(path.join(out, dir), { recursive: true });
    const source = path.join(root, rel);
    if (lstatSync(source).isSymbolicLink()) symlinkSync(readlinkSync(source), path.join(out, rel));
    else copyFileSync(source, path.join(out, rel));
    copied++;
  }
}
console.log(`collect-libs: ${copied} libraries from the haproxy image`);
