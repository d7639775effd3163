import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidatedConfigs } from './validated-configs.js';

describe('ValidatedConfigs', () => {
  it('remembers a checked config and forgets it when any input changes: text, a named file, the binary', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ls-validated-'));
    const binary = path.join(dir, 'haproxy');
    await writeFile(binary, '#!/bin/sh\n');
    await chmod(binary, 0o755);
    const errorPage = path.join(dir, '503.http');
    await writeFile(errorPage, 'HTTP/1.0 503\r\n\r\ndown\n');
    const cache = new ValidatedConfigs(path.join(dir, '.validated.json'), binary);
    const text = `defaults\n    errorfile 503 ${errorPage}\n    log /dev/log local0\n`;
    const key = (await cache.key(text))!;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await cache.has(key)).toBe(false);
    await cache.add(key);
    expect(await cache.has(key)).toBe(true);
    expect(await new ValidatedConfigs(path.join(dir, '.validated.json'), binary).has(key)).toBe(true);
    expect(await cache.key(text)).toBe(key);
    expect(await cache.key(`${text}# another line\n`)).not.toBe(key);
    await writeFile(errorPage, 'HTTP/1.0 503\r\n\r\nchanged\n');
    expect(await cache.key(text)).not.toBe(key);
    await writeFile(errorPage, 'HTTP/1.0 503\r\n\r\ndown\n');
    expect(await cache.key(text)).toBe(key);
    await writeFile(binary, '#!/bin/sh\n# a new build\n');
    expect(await cache.key(text)).not.toBe(key);
    expect(
      await new ValidatedConfigs(path.join(dir, '.validated.json'), path.join(dir, 'missing')).key(text),
    ).toBeNull();
  });

  it('treats a damaged list as empty and keeps the latest 32 keys', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ls-validated-'));
    const file = path.join(dir, '.validated.json');
    await writeFile(file, '{not json');
    const cache = new ValidatedConfigs(file, '/bin/sh');
    expect(await cache.has('x')).toBe(false);
    for (let i = 0; i < 40; i++) await cache.add(`k${i}`);
    expect(await cache.has('k39')).toBe(true);
    expect(await cache.has('k8')).toBe(true);
    expect(await cache.has('k7')).toBe(false);
  });
});
