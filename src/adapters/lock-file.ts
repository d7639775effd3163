import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, LockHeldError, StateError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';

// One deploy at a time per service. The lock file is created with O_EXCL, so two processes
// racing for it cannot both win; a stale lock is taken over only when its owner is provably
// gone (same host, pid not alive) or its expiry has passed.

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  expiresAt: string;
}

export interface LockOptions {
  file: string;
  ttlMs: number;
  command: string;
  clock: Clock;
  /** How long to wait for a held lock before giving up (0: fail at once). */
  waitMs?: number;
  /** How often a held lock is looked at again while waiting. */
  pollMs?: number;
}

export class Lock {
  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  static async acquire({ file, ttlMs, command, clock, waitMs = 0, pollMs = 200 }: LockOptions): Promise<Lock> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const deadline = clock.now().getTime() + waitMs;
    for (;;) {
      const now = clock.now();
      const owner: LockOwner = {
        pid: process.pid,
        host: os.hostname(),
        command,
        startedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      };
      let handle: FileHandle | undefined;
      try {
        handle = await open(file, 'wx', 0o600);
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw lockFileError(file, error);
      }
      if (handle) {
        try {
          await handle.writeFile(JSON.stringify(owner));
          await handle.sync();
          await handle.close();
          return new Lock(file, owner);
        } catch (error) {
          // A lock we could not finish writing must not block everyone else (disk full).
          await handle.close().catch(() => undefined);
          await unlink(file).catch(() => undefined);
          throw lockFileError(file, error);
        }
      }
      const holder = await readOwner(file);
      if (holder === 'gone') continue;
      if (holder === null ? await isAbandonedPartial(file, now) : isStale(holder, now)) {
        // Remove only the file we judged stale: if it changed meanwhile, someone else won.
        await takeOver(file, holder);
        continue;
      }
      if (clock.now().getTime() >= deadline) {
        const who = holder
          ? `${holder.command}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`
          : 'owner unknown';
        throw new LockHeldError(`another linkswitch (${who}) holds the lock ${file}`, {
          fix:
            "wait for it to finish, or pass --lock-wait <duration>; a crashed owner's lock is taken over " +
            'automatically',
        });
      }
      await clock.sleep(pollMs);
    }
  }

  async release(): Promise<void> {
    const holder = await readOwner(this.file);
    if (
      holder !== 'gone' &&
      holder !== null &&
      holder.pid === this.owner.pid &&
      holder.startedAt === this.owner.startedAt
    ) {
      await unlink(this.file).catch(() => undefined);
    }
  }
}

function lockFileError(file: string, error: unknown): StateError {
  const code = errnoCode(error) ?? String(error);
  return new StateError(`cannot create the lock file ${file} (${code}); nothing was changed`, {
    fix:
      code === 'ENOSPC'
        ? 'free disk space on that filesystem, then retry'
        : 'check that the state directory exists and is writable',
    cause: error,
  });
}

async function readOwner(file: string): Promise<LockOwner | null | 'gone'> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'gone';
    return null; // unreadable or half-written by a crashed owner
  }
}

function isStale(owner: LockOwner, now: Date): boolean {
  if (Date.parse(owner.expiresAt) <= now.getTime()) return true;
  if (owner.host !== os.hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}

/** An unreadable lock file is a crash mid-write only once it is older than a write takes. */
async function isAbandonedPartial(file: string, now: Date): Promise<boolean> {
  try {
    return now.getTime() - (await stat(file)).mtimeMs > 5_000;
  } catch {
    return false;
  }
}

async function takeOver(file: string, judged: LockOwner | null): Promise<void> {
  const current = await readOwner(file);
  if (current === 'gone') return;
  if (JSON.stringify(current) === JSON.stringify(judged)) await unlink(file).catch(() => undefined);
}
