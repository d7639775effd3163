import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MapFile } from '../../src/core/stack-context.js';

/** What the executor does before `haproxy -c`: the map files a rendered config names, on disk. */
export async function writeMapFiles(maps: MapFile[]): Promise<void> {
  for (const map of maps) {
    await mkdir(path.dirname(map.file), { recursive: true });
    await writeFile(map.file, map.text);
  }
}
