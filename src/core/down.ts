import { COLOURS } from './colour.js';
import { Executor } from './executor.js';
import type { Service } from './service.js';
import { loadState } from './state-source.js';
import { withLock } from './with-lock.js';

// `down`: every service's colours and the HAProxy `up` started, or (several services) one
// service's colours while HAProxy keeps serving the others.

/** Removes every service's colours and stops the HAProxy that `up` started; state files stay. */
export async function down(stack: Service[]): Promise<void> {
  const [first, ...rest] = stack;
  if (!first) return;
  // Every service's lock, in config order (so two `down`s cannot deadlock): no deploy runs meanwhile.
  await withLock(first, 'down', async () => {
    if (rest.length > 0) return down(rest).then(() => removeColours(first));
    first.progress.phase('stop-haproxy');
    await first.haproxy.stop();
    await removeColours(first);
  });
}

async function removeColours(svc: Service): Promise<void> {
  for (const colour of COLOURS) {
    svc.progress.phase('remove-container', { colour });
    await svc.docker.remove(colour);
  }
}

/**
 * Several services: removes one service's colours and applies the config without them, so its
 * routes answer 503 while HAProxy keeps serving the others. Its state file stays for `up`.
 */
export async function downService(svc: Service): Promise<void> {
  await withLock(svc, 'down', async () => {
    const { state } = await loadState(svc);
    await removeColours(svc);
    const executor = new Executor(svc, state, { blue: null, green: null });
    await executor.run([{ kind: 'apply-config', linked: state.linked }]);
  });
}
