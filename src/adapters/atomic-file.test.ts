import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe('writeFileAtomic', () => {
  it('creates a new file with mode 600 and the exact content', async () => {
    const file = path.join(dir, 'haproxy.cfg');
    await writeFileAtomic(file, 'global\n    maxconn 100\n');
    expect(await readFile(file, 'utf8')).toBe('global\n    maxconn 100\n');
    expect(await mode(file)).toBe(0o600);
  });

  it('replaces an existing file entirely, and the replacement has mode 600 even if the old one did not', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, 'a much longer previous content that must not survive\n', { mode: 0o644 });
    await writeFileAtomic(file, 'new\n');
    expect(await readFile(file, 'utf8')).toBe('new\n');
    expect(await mode(file)).toBe(0o600);
  });

  it('leaves no temp files behind, after one write or many concurrent ones', async () => {
    const file = path.join(dir, 'state.json');
    await writeFileAtomic(file, 'one');
    expect(await readdir(dir)).toEqual(['state.json']);
    const contents = Array.from({ length: 20 }, (_, i) => `content ${i}\n`.repeat(100));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(contents).toContain(await readFile(file, 'utf8'));
  });

  it('writes unicode content byte-exactly', async () => {
    const file = path.join(dir, 'x.txt');
    await writeFileAtomic(file, 'héllo ✓\n');
    expect(await readFile(file)).toEqual(Buffer.from('héllo ✓\n', 'utf8'));
  });

  it('fails without leaving a temp file when the target cannot be replaced', async () => {
    const target = path.join(dir, 'occupied');
    await mkdir(target);
    await writeFile(path.join(target, 'child'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['occupied']);
  });

  it('fails when the directory does not exist, creating nothing', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'f'), 'data')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
