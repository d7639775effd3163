import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

// `haproxy -c` costs 60-90 ms, and most of what linkswitch renders it has checked before: a
// rollback writes the config the previous deploy started from, a deploy starts by checking the
// config that is live. So each accepted config is remembered by a key over everything its
// result depends on — the text, the contents of every file it names (map files, certificates,
// error pages), and the binary (path, size, mtime) — and an identical input is not checked
// again. A changed byte anywhere is a new key and a real check. The list lives beside
// haproxy.cfg (mode 600; whoever can write it can write haproxy.cfg itself).

const KEEP = 32;
const PATH_TOKEN = /(?<=\s)\/[^\s]+/g;

export class ValidatedConfigs {
  constructor(
    private readonly file: string,
    private readonly binary: string,
  ) {}

  /** The key of a config text as HAProxy would check it now, or null when an input cannot be read. */
  async key(text: string): Promise<string | null> {
    const hash = createHash('sha256').update(text);
    const binary = await this.binaryIdentity();
    if (!binary) return null;
    hash.update(`\0${binary}`);
    for (const file of [...new Set(text.match(PATH_TOKEN) ?? [])].sort()) {
      const info = await stat(file).catch(() => null);
      // Sockets (/dev/log, the admin socket) and missing paths are no input to `haproxy -c`.
      if (!info?.isFile()) continue;
      hash.update(`\0${file}\0`).update(await readFile(file));
    }
    return hash.digest('hex');
  }

  async has(key: string): Promise<boolean> {
    return (await this.read()).includes(key);
  }

  async add(key: string): Promise<void> {
    const keys = (await this.read()).filter((k) => k !== key);
    keys.unshift(key);
    await writeFileAtomic(this.file, `${JSON.stringify(keys.slice(0, KEEP))}\n`);
  }

  private async read(): Promise<string[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : [];
    } catch {
      return []; // missing or damaged: every config is checked for real
    }
  }

  private async binaryIdentity(): Promise<string | null> {
    const candidates = this.binary.includes('/')
      ? [this.binary]
      : (process.env.PATH ?? '')
          .split(':')
          .filter(Boolean)
          .map((dir) => path.join(dir, this.binary));
    for (const candidate of candidates) {
      const info = await stat(candidate).catch(() => null);
      if (info?.isFile()) return `${candidate}:${info.size}:${info.mtimeMs}`;
    }
    return null;
  }
}
