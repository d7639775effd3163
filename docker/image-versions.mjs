// Usage: node image-versions.mjs <app-dir> (a RUN step of the Dockerfile's last stage)
// The image's labels name the linkswitch version and the Node and HAProxy lines inside it. A
// label is fixed text, so this step checks that the build arguments behind them say what the
// image really holds, and fails the build with the argument to set when they do not. It writes
// the exact versions to <app-dir>/versions.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const app = process.argv[2];
if (!app) throw new Error('usage: node image-versions.mjs <app-dir>');
const haproxyText = execFileSync('/usr/local/sbin/haproxy', ['-v'], { encoding: 'utf8' });
const haproxy = /version (\d+\.\d+(?:\.\d+)?\S*)/i.exec(haproxyText)?.[1];
if (!haproxy) throw new Error(`image-versions: cannot read the version in: ${haproxyText.split('\n')[0]}`);
const found = {
  linkswitch: JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')).version,
  node: process.version.slice(1),
  haproxy,
};
// Each label against what it must say: the exact linkswitch version, Node's major line,
// HAProxy's major.minor line.
const checks = [
  ['LINKSWITCH_VERSION', found.linkswitch],
  ['NODE_LINE', found.node.split('.')[0]],
  ['HAPROXY_LINE', found.haproxy.split('.').slice(0, 2).join('.')],
];
const wrong = checks.filter(([arg, line]) => process.env[arg] !== line);
for (const [arg, line] of wrong)
  console.error(
    `image-versions: the label says ${arg}=${process.env[arg] || '(unset)'}, the image holds ${line}; build with --build-arg ${arg}=${line}`,
  );
if (wrong.length > 0) process.exit(1);
writeFileSync(path.join(app, 'versions.json'), `${JSON.stringify(found)}\n`);
// Not left in the image: it ran once, at build.
rmSync(process.argv[1]);
console.log(`image-versions: linkswitch ${found.linkswitch}, node ${found.node}, haproxy ${found.haproxy}`);
