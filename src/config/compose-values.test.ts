import { describe, expect, it } from 'vitest';
import { keyValues, parseEnvFile, parseGoDuration, parseShortVolume, parseSize, shellWords } from './compose-values.js';

describe("Compose's value forms", () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1m0s', 60_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['0', 0],
  ])('reads the Go duration %j', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(['', '10', 'soon', '1m 30s', '-5s', '5d'])('refuses the duration %j', (text) =>
    expect(parseGoDuration(text)).toBeUndefined(),
  );

  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1gb', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['64k', 65_536],
    ['536870912', 536_870_912],
    [1024, 1024],
  ])('reads the size %j', (value, bytes) => expect(parseSize(value)).toBe(bytes));

  it.each(['lots', '-1m', '1q', 1.5])('refuses the size %j', (value) => expect(parseSize(value)).toBeUndefined());

  it('splits a command string into words without a shell: quotes and backslashes, nothing expanded', () => {
    expect(shellWords('bundle exec puma -p 3000')).toEqual(['bundle', 'exec', 'puma', '-p', '3000']);
    expect(shellWords(`sh -c 'echo $HOME; rm -rf /' "a \\"b\\" c" d\\ e ''`)).toEqual([
      'sh',
      '-c',
      'echo $HOME; rm -rf /',
      'a "b" c',
      'd e',
      '',
    ]);
    expect(() => shellWords('echo "open')).toThrow(/unclosed/);
  });

  it('reads env files as Compose does: comments, quotes, export, bare keys from the environment', () => {
    const text = [
      '# comment',
      '',
      'PLAIN=value # trailing comment',
      'HASH=a#b',
      "SINGLE='kept $AS is # too'",
      'DOUBLE="line\\nnext \\"q\\""',
      'export EXPORTED=1',
      'EMPTY=',
      'FROM_ENV',
      'MISSING',
    ].join('\n');
    expect(parseEnvFile(text, (k) => (k === 'FROM_ENV' ? 'env-value' : undefined))).toEqual({
      PLAIN: 'value',
      HASH: 'a#b',
      SINGLE: 'kept $AS is # too',
      DOUBLE: 'line\nnext "q"',
      EXPORTED: '1',
      EMPTY: '',
      FROM_ENV: 'env-value',
    });
    expect(() => parseEnvFile('not a line', () => undefined)).toThrow(/line 1/);
  });

  it.each([
    ['uploads:/app/uploads', { source: 'uploads', target: '/app/uploads', readOnly: false, bind: false }],
    ['./config:/app/config:ro', { source: './config', target: '/app/config', readOnly: true, bind: true }],
    ['/srv/x:/x:ro,z', { source: '/srv/x', target: '/x', readOnly: true, bind: true }],
    ['~/data:/data', { source: '~/data', target: '/data', readOnly: false, bind: true }],
    ['/cache', { source: null, target: '/cache', readOnly: false, bind: false }],
    ['/cache:ro', { source: null, target: '/cache', readOnly: true, bind: false }],
  ])('reads the short volume %j', (text, volume) => expect(parseShortVolume(text)).toEqual(volume));

  it.each([
    ['data:relative', /must be absolute/],
    ['a:b:c:d', /use/],
    ['data:/x:rx', /unknown volume mode "rx"/],
    ['data::/x', /use/],
  ])('refuses the short volume %j', (text, message) => expect(() => parseShortVolume(text)).toThrow(message));

  it('reads KEY=VALUE lists and maps alike; a bare key comes from the environment or stays unset', () => {
    const lookup = (k: string) => (k === 'SET' ? 'yes' : undefined);
    expect(keyValues(['A=1', 'B=x=y', 'SET', 'UNSET'], lookup)).toEqual({ A: '1', B: 'x=y', SET: 'yes', UNSET: null });
    expect(keyValues({ A: 1, B: true, SET: null, UNSET: null }, lookup)).toEqual({
      A: '1',
      B: 'true',
      SET: 'yes',
      UNSET: null,
    });
  });
});
