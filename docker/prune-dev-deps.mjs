// Usage: node prune-dev-deps.mjs <app-dir>
// Removes the packages package-lock.json marks as dev-only (typescript, vitest, …) from the
// node_modules copied in from the build context: `npm prune` without npm or a network.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const app = process.argv[2];
if (!app) throw new Error('usage: node prune-dev-deps.mjs <app-dir>');
const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
let removed = 0;
for (const [key, meta] of Object.entries(lock.packages ?? {})) {
  if (!key.startsWith('node_modules/') || !meta.dev) continue;
  rmSync(path.join(app, key), { recursive: true, force: true });
  removed++;
}
// Links to the removed tools' binaries.
rmSync(path.join(app, 'node_modules', '.bin'), { recursive: true, force: true });
console.log(`prune-dev-deps: removed ${removed} dev-only packages`);
