import { readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from 'pino';
import type { LockOwner } from '../adapters/lock-file.js';

// In a container the sidecar is PID 1 with a fixed hostname, so a lock left behind by its
// previous run (SIGKILL, OOM kill) names an owner that looks alive: this very process. Nothing
// in this process holds a lock before `serve` starts, so such a lock is provably stale.

export async function clearOwnStaleLock(file: string, log: Logger): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  let owner: LockOwner;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch {
    return; // a half-written lock is the lock's own business (it ages out)
  }
  if (owner.pid !== process.pid || owner.host !== os.hostname()) return;
  // Remove only the file we judged, in case it changed meanwhile.
  if ((await readFile(file, 'utf8').catch(() => null)) !== text) return;
  await unlink(file).catch(() => undefined);
  log.warn(
    { lock: file, command: owner.command, since: owner.startedAt },
    'Removed the lock left by the previous run of this sidecar',
  );
}
