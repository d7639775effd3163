import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { ConfigFilePort } from '../core/ports.js';
import { writeFileAtomic } from './atomic-file.js';

/** The live haproxy.cfg, replaced atomically so HAProxy never reads a half-written file. */
export class LiveConfigFile implements ConfigFilePort {
  constructor(readonly file: string) {}

  async read(): Promise<string | null> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async write(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, text, 0o600);
  }
}
