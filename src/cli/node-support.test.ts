import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endOfLifeWarning, markerPath, warnOnceIfEndOfLife } from './node-support.js';

describe('endOfLifeWarning', () => {
  it('names the version and its end-of-life date once that date has passed', () => {
    const warning = endOfLifeWarning('v20.20.2', new Date('2026-12-07T00:00:00Z'));
    expect(warning).toContain('Node v20.20.2 reached its end of life on 2026-04-30');
    expect(warning).toContain('Node 24 LTS');
    expect(warning?.endsWith('\n')).toBe(true);
    expect(warning?.trimEnd().includes('\n')).toBe(false);
  });

  it('says nothing on the last supported day, on supported lines, or on lines it does not know', () => {
    expect(endOfLifeWarning('v20.20.2', new Date('2026-04-30T12:00:00Z'))).toBeNull();
    expect(endOfLifeWarning('v22.12.0', new Date('2026-12-07T00:00:00Z'))).toBeNull();
    expect(endOfLifeWarning('v24.22.3', new Date('2026-12-07T00:00:00Z'))).toBeNull();
    expect(endOfLifeWarning('v26.1.0', new Date('2026-12-07T00:00:00Z'))).toBeNull();
    expect(endOfLifeWarning('not a version', new Date())).toBeNull();
  });

  it('warns about Node 22 once its own end has passed', () => {
    expect(endOfLifeWarning('v22.12.0', new Date('2027-05-01T00:00:00Z'))).toContain('2027-04-30');
  });
});

describe('warnOnceIfEndOfLife', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-node-support-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('warns the first time for a version, then never again for it', async () => {
    const said: string[] = [];
    const env = { XDG_CACHE_HOME: dir };
    warnOnceIfEndOfLife(env, 'v20.20.2', (t) => said.push(t));
    warnOnceIfEndOfLife(env, 'v20.20.2', (t) => said.push(t));
    expect(said).toHaveLength(1);
    expect(await readFile(markerPath(env, 'v20.20.2'), 'utf8')).toMatch(/^\d{4}-/);
    warnOnceIfEndOfLife(env, 'v20.19.0', (t) => said.push(t));
    expect(said).toHaveLength(2);
  });

  it('is silenced by LINKSWITCH_NODE_WARNING=off and silent on a supported Node', () => {
    const said: string[] = [];
    warnOnceIfEndOfLife({ XDG_CACHE_HOME: dir, LINKSWITCH_NODE_WARNING: 'off' }, 'v20.20.2', (t) => said.push(t));
    warnOnceIfEndOfLife({ XDG_CACHE_HOME: dir }, 'v24.22.3', (t) => said.push(t));
    expect(said).toEqual([]);
  });

  it('warns every time when no marker can be written', async () => {
    const said: string[] = [];
    // A file where the cache directory should be: mkdir fails with ENOTDIR.
    await writeFile(path.join(dir, 'file'), '');
    const env = { XDG_CACHE_HOME: path.join(dir, 'file') };
    warnOnceIfEndOfLife(env, 'v20.20.2', (t) => said.push(t));
    warnOnceIfEndOfLife(env, 'v20.20.2', (t) => said.push(t));
    expect(said).toHaveLength(2);
  });

  it('keeps markers under ~/.cache/linkswitch without XDG_CACHE_HOME', () => {
    expect(markerPath({ HOME: '/home/ann' }, 'v20.20.2')).toBe('/home/ann/.cache/linkswitch/node-end-of-life-v20.20.2');
  });
});
