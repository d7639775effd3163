import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../core/errors.js';
import { initialState, type State, serializeState, withLinked } from '../core/state.js';
import { StateFile } from './state-file.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-state-'));
  file = path.join(dir, 'run', 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sample(): State {
  return {
    ...withLinked(initialState('web'), 'green', new Date('2025-01-02T00:00:00.000Z')),
    colours: { blue: null, green: { image: 'app:2', container: 'web-green', deployedAt: '2025-01-02T00:00:00.000Z' } },
  };
}

describe('StateFile', () => {
  it('read returns null when the file does not exist (and creates nothing)', async () => {
    expect(await new StateFile(file, 'web').read()).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('write creates the directory (700) and a mode-600 file that read returns', async () => {
    const store = new StateFile(file, 'web');
    await store.write(sample());
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(serializeState(sample()));
    expect(await store.read()).toEqual(sample());
  });

  it('write replaces the previous state and leaves no temp files', async () => {
    const store = new StateFile(file, 'web');
    await store.write(initialState('web'));
    await store.write(sample());
    await store.write({ ...sample(), generation: 9 });
    expect((await store.read())?.generation).toBe(9);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it.each([
    ['truncated JSON', (text: string) => text.slice(0, text.length / 2)],
    ['an unknown colour', (text: string) => text.replace('"linked": "green"', '"linked": "purple"')],
    ['an unknown version', (text: string) => text.replace('"version": 1', '"version": 2')],
    ['an empty file', () => ''],
  ])('read refuses %s with a StateError and never touches the file', async (_label, corrupt) => {
    await mkdir(path.dirname(file), { recursive: true });
    const bad = corrupt(serializeState(sample()));
    await writeFile(file, bad, { mode: 0o600 });
    const before = await stat(file);
    const store = new StateFile(file, 'web');
    await expect(store.read()).rejects.toBeInstanceOf(StateError);
    await expect(store.read()).rejects.toThrow(file);
    expect(await readFile(file, 'utf8')).toBe(bad);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it("read refuses another service's state file", async () => {
    await new StateFile(file, 'web').write(sample());
    await expect(new StateFile(file, 'api').read()).rejects.toThrow(/belongs to service "web"/);
  });

  it('read turns an unreadable path into a StateError', async () => {
    await mkdir(file, { recursive: true });
    await expect(new StateFile(file, 'web').read()).rejects.toSatisfy(
      (e) => e instanceof StateError && /cannot read state file/.test(e.message),
    );
  });

  it('a failed write is a StateError that keeps the previous file', async () => {
    await mkdir(path.join(file, 'blocker'), { recursive: true });
    const error = await new StateFile(file, 'web').write(sample()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toMatch(/previous state is intact/);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });
});
