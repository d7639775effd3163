import { describe, expect, it } from 'vitest';
import { haproxyDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['250ms', 250],
    ['1.5s', 1500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['500', 500],
    [' 10 s ', 10_000],
    ['0', 0],
    ['0.0004s', 0],
    [750, 750],
    [12.6, 13],
    [0, 0],
  ])('parses %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each<string | number>(['', 'fast', '-5s', '1d', '5 minutes', '1e3', '.5s', '5s5', 's', -1, Number.NaN, Infinity])(
    'refuses %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});

describe('haproxyDuration', () => {
  it('always writes whole milliseconds with a unit', () => {
    expect(haproxyDuration(500)).toBe('500ms');
    expect(haproxyDuration(1500.4)).toBe('1500ms');
    expect(haproxyDuration(0)).toBe('0ms');
  });
});
