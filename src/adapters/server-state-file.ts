import { readFile } from 'node:fs/promises';
import type { HaproxyLayout } from '../core/layout.js';
import { carriedServerState, EMPTY_SERVER_STATE } from '../core/server-state.js';
import { writeFileAtomic } from './atomic-file.js';

// The server-state-file HAProxy's new worker loads on a reload (load-server-state-from-file).
// Swarm: the whole `show servers state`, so a reloaded worker keeps the task addresses DNS gave.
// Container engine: only what server-state.ts carries, and emptied again once the reload is
// done, so a restart or a reboot never starts HAProxy from a state older than the stack.

export class ServerStateFile {
  constructor(
    private readonly layout: HaproxyLayout,
    private readonly configFile: string,
    /** The running worker's `show servers state`. */
    private readonly showState: () => Promise<string>,
  ) {}

  /** Before HAProxy starts: nothing to carry into a fresh master. */
  async beforeStart(): Promise<void> {
    const file = this.layout.serverStateFile;
    if (file && this.layout.serverStateCarry === 'serving') await writeFileAtomic(file, EMPTY_SERVER_STATE);
  }

  /** Before a reload, with the new config already in configFile. */
  async beforeReload(): Promise<void> {
    const file = this.layout.serverStateFile;
    if (!file) return;
    if (this.layout.serverStateCarry === 'all') {
      const text = await this.showState();
      await writeFileAtomic(file, text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    // The carry only spares a proven server a fragile start; without it the reload is still
    // right, so a worker that does not answer or a config that cannot be read carries nothing.
    const carried = await Promise.all([this.showState(), readFile(this.configFile, 'utf8')]).then(
      ([state, config]) => carriedServerState(state, config),
      () => EMPTY_SERVER_STATE,
    );
    await writeFileAtomic(file, carried);
  }

  /** After a reload, whether it worked or not. */
  async afterReload(): Promise<void> {
    await this.beforeStart();
  }
}
