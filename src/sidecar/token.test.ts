import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenBytes, tokenFromEnv, tokenProblem } from './token.js';

describe('tokenProblem', () => {
  it.each([
    ['openssl rand -hex 32', 'ab'.repeat(32), null],
    ['openssl rand -base64 32', `${'Zm9v'.repeat(10)}YWI=`, null],
    ['openssl rand -hex 24 (the old advice)', 'ab'.repeat(24), /at most 24 random bytes, fewer than 32/],
    ['a word', 'secret-secret-secret', /at most 15 random bytes/],
    ['a token with a space', `${'a'.repeat(40)} ${'b'.repeat(40)}`, /whitespace/],
  ])('%s', (_label, token, problem) => {
    const found = tokenProblem(token);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  it('counts 4 bits a hex character and 6 any other', () => {
    expect(tokenBytes('ab'.repeat(32))).toBe(32);
    expect(tokenBytes('x'.repeat(43))).toBe(32);
  });
});

describe('tokenFromEnv', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-token-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a short token at start with a one-line fix, and both variables at once', async () => {
    expect(() => tokenFromEnv({ LINKSWITCH_TOKEN: 'short-token' }, () => undefined)).toThrow(
      /token from LINKSWITCH_TOKEN holds at most 8 random bytes/,
    );
    const file = path.join(dir, 'short');
    await writeFile(file, 'abcd\n');
    expect(() => tokenFromEnv({ LINKSWITCH_TOKEN_FILE: file }, () => undefined)).toThrow(/LINKSWITCH_TOKEN_FILE/);
    expect(() =>
      tokenFromEnv({ LINKSWITCH_TOKEN: 'ab'.repeat(32), LINKSWITCH_TOKEN_FILE: file }, () => undefined),
    ).toThrow(/both LINKSWITCH_TOKEN and LINKSWITCH_TOKEN_FILE/);
    expect(() => tokenFromEnv({ LINKSWITCH_TOKEN_FILE: path.join(dir, 'absent') }, () => undefined)).toThrow(
      /cannot read the control API token file/,
    );
  });

  it('is null without either variable (the TCP control API stays off)', () => {
    expect(tokenFromEnv({}, () => undefined)).toBeNull();
  });
});
