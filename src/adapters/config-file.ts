import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { ConfigFilePort } from '../core/ports.js';
import type { MapFile } from '../core/stack-context.js';

/** A map file no config names is removed only after this long: a concurrent render may be about to use it. */
const STALE_MAP_MS = 10 * 60_000;

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
    await this.removeStaleMaps(text);
  }

  async writeMaps(maps: MapFile[]): Promise<void> {
    for (const map of maps) {
      const current = await readFile(map.file, 'utf8').catch(() => null);
      if (current === map.text || (map.keep && current !== null)) continue;
      await mkdir(path.dirname(map.file), { recursive: true, mode: 0o700 });
      const text = map.selfSigned ? await (await import('./default-certificate.js')).selfSignedPem() : map.text;
      await writeFileAtomic(map.file, text, 0o600);
    }
  }

  async readMap(file: string): Promise<string | null> {
    return readFile(file, 'utf8').catch(() => null);
  }

  /** Map files of earlier routing tables, named by no config for a while. */
  private async removeStaleMaps(text: string): Promise<void> {
    const dir = path.join(path.dirname(this.file), 'maps');
    const names = await readdir(dir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names) {
      const file = path.join(dir, name);
      if (!name.endsWith('.map') || text.includes(file)) continue;
      const info = await stat(file).catch(() => null);
      if (info && now - info.mtimeMs > STALE_MAP_MS) await unlink(file).catch(() => undefined);
    }
  }
}
