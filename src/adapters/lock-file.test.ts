import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/support/fakes.js';
import { LockHeldError } from '../core/errors.js';
import { systemClock } from './clock.js';
import { Lock, type LockOwner } from './lock-file.js';

const TTL = 60_000;
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-lock-'));
  file = path.join(dir, 'run', 'web.lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const acquire = (command = 'deploy', waitMs = 0) =>
  Lock.acquire({ file, ttlMs: TTL, command, clock: systemClock, waitMs });
const readLock = async () => JSON.parse(await readFile(file, 'utf8')) as LockOwner;
const exists = (f: string) =>
  stat(f).then(
    () => true,
    () => false,
  );

function owner(over: Partial<LockOwner>): LockOwner {
  const now = Date.now();
  return {
    pid: process.pid,
    host: os.hostname(),
    command: 'deploy',
    startedAt: new Date(now - 1000).toISOString(),
    expiresAt: new Date(now + TTL).toISOString(),
    ...over,
  };
}

describe('Lock', () => {
  it('creates the lock file (mode 600, in a created directory) naming its owner; release removes it', async () => {
    const lock = await acquire('deploy');
    const written = await readLock();
    expect(written).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'deploy' });
    expect(Date.parse(written.expiresAt) - Date.parse(written.startedAt)).toBe(TTL);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lock.owner).toEqual(written);
    await lock.release();
    expect(await exists(file)).toBe(false);
  });

  it('can be acquired again after release', async () => {
    await (await acquire()).release();
    const again = await acquire('rollback');
    expect((await readLock()).command).toBe('rollback');
    await again.release();
  });

  it('refuses a second acquire while held, with LockHeldError naming the holder', async () => {
    const held = await acquire('deploy');
    const second = acquire('rollback');
    await expect(second).rejects.toBeInstanceOf(LockHeldError);
    await expect(acquire('rollback')).rejects.toThrow(new RegExp(`deploy, pid ${process.pid} on ${os.hostname()}`));
    expect((await readLock()).command).toBe('deploy');
    await held.release();
  });

  it('takes over a stale lock whose owner pid is dead on this host', async () => {
    await acquire(); // creates the directory
    await writeFile(file, JSON.stringify(owner({ pid: 999_999, command: 'crashed' })));
    const lock = await acquire('deploy');
    expect(await readLock()).toMatchObject({ pid: process.pid, command: 'deploy' });
    await lock.release();
  });

  it('does not take over an unexpired lock from another host, whose pid it cannot check', async () => {
    await acquire();
    await writeFile(file, JSON.stringify(owner({ pid: 999_999, host: 'elsewhere.invalid' })));
    await expect(acquire()).rejects.toBeInstanceOf(LockHeldError);
    expect((await readLock()).host).toBe('elsewhere.invalid');
  });

  it('takes over an expired lock even when its owner is alive', async () => {
    await acquire();
    const expired = owner({
      startedAt: new Date(Date.now() - 2 * TTL).toISOString(),
      expiresAt: new Date(Date.now() - 1).toISOString(),
    });
    await writeFile(file, JSON.stringify(expired));
    const lock = await acquire('up');
    expect(await readLock()).toMatchObject({ pid: process.pid, command: 'up' });
    expect(Date.parse((await readLock()).expiresAt)).toBeGreaterThan(Date.now());
    await lock.release();
  });

  it('treats a fresh unreadable lock file as held, and an old one as abandoned', async () => {
    await acquire();
    await writeFile(file, '{"pid": 12');
    await expect(acquire()).rejects.toThrow(/owner unknown/);
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquire();
    expect((await readLock()).pid).toBe(process.pid);
    await lock.release();
  });

  it('release leaves alone a lock that someone else has taken over', async () => {
    const lock = await acquire();
    const other = owner({ pid: process.pid, startedAt: '2000-01-01T00:00:00.000Z', command: 'other' });
    await writeFile(file, JSON.stringify(other));
    await lock.release();
    expect(await readLock()).toEqual(other);
  });

  it('with waitMs, polls until the holder releases and then acquires (fake clock: no real waiting)', async () => {
    const held = await acquire('deploy');
    const clock = fakeClock();
    let sleeps = 0;
    const polling = {
      ...clock,
      sleep: async (ms: number) => {
        await clock.sleep(ms);
        if (++sleeps === 2) await held.release();
      },
    };
    const lock = await Lock.acquire({ file, ttlMs: TTL, command: 'rollback', clock: polling, waitMs: 5_000 });
    expect(clock.monotonic()).toBe(400); // two polls of 200 ms
    expect((await readLock()).command).toBe('rollback');
    await lock.release();
  });

  it('with waitMs, still gives up once the wait is over', async () => {
    const held = await acquire('deploy');
    const clock = fakeClock();
    await expect(Lock.acquire({ file, ttlMs: TTL, command: 'rollback', clock, waitMs: 300 })).rejects.toBeInstanceOf(
      LockHeldError,
    );
    expect(clock.monotonic()).toBe(400); // it slept on the given clock: two polls, no real waiting
    await held.release();
  });
});
