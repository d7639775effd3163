import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, messageOf, StateError } from '../core/errors.js';
import type { StateStore } from '../core/ports.js';
import { parseState, type State, serializeState } from '../core/state.js';
import { syncDirectory, writeFileAtomic } from './atomic-file.js';

/** The state file on disk: mode 600 in a directory of mode 700 that we create if missing. */
export class StateFile implements StateStore {
  constructor(
    readonly file: string,
    private readonly service: string,
    /** Recorded in every write and checked on every read: a state file follows one engine. */
    private readonly engine?: 'container' | 'swarm',
  ) {}

  async read(): Promise<State | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw new StateError(`cannot read state file ${this.file}: ${messageOf(error)}`, {
        fix: 'check its permissions',
        cause: error,
      });
    }
    return parseState(text, this.file, this.service, this.engine);
  }

  async write(state: State): Promise<void> {
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const { engine: _recorded, ...rest } = state;
      const record = this.engine ? { ...rest, engine: this.engine } : state;
      await writeFileAtomic(this.file, serializeState(record), 0o600);
    } catch (error) {
      throw new StateError(`cannot write state file ${this.file}: ${messageOf(error)}; the previous state is intact`, {
        fix: 'free disk space or fix permissions, then retry',
        cause: error,
      });
    }
  }

  async quarantine(): Promise<string | null> {
    const aside = `${this.file}.unreadable-${new Date().toISOString().replaceAll(':', '')}`;
    try {
      await rename(this.file, aside);
      await syncDirectory(path.dirname(this.file));
      return aside;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw new StateError(`cannot move the unreadable state file ${this.file} aside: ${messageOf(error)}`, {
        fix: 'check the permissions of its directory',
        cause: error,
      });
    }
  }
}
