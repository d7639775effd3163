import type { Locker } from './ports.js';

/** Runs `fn` holding the service's deploy lock (the verbs that change the stack). */
export async function withLock<T>(svc: { locker: Locker }, command: string, fn: () => Promise<T>): Promise<T> {
  const lock = await svc.locker.acquire(command);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
