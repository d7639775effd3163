import { describe, expect, it } from 'vitest';
import { shortTime, table } from './table.js';

describe('table', () => {
  const rows = [
    ['', 'COLOUR', 'IMAGE', 'HEALTH'],
    ['*', 'blue', 'registry.example.com/team/app:1.2.3', 'healthy'],
    ['', 'green', 'app:1', 'none'],
  ];

  it('pads every column to its widest cell, with no escape codes and no trailing spaces', () => {
    expect(table(rows)).toEqual([
      '   COLOUR  IMAGE                                HEALTH',
      '*  blue    registry.example.com/team/app:1.2.3  healthy',
      '   green   app:1                                none',
    ]);
  });

  it('shortens the chosen column on a narrow terminal, and leaves a pipe alone', () => {
    const narrow = table(rows, { shrink: 2, width: 40 });
    expect(narrow.every((l) => l.length <= 40)).toBe(true);
    expect(narrow[1]).toBe('*  blue    registry.example.co…  healthy');
    expect(table(rows, { shrink: 2, width: undefined })).toEqual(table(rows));
  });

  it('prints times to the second, and "-" for none', () => {
    expect(shortTime('2026-12-01T12:37:36.807Z')).toBe('2026-12-01 12:37:36Z');
    expect(shortTime(null)).toBe('-');
  });
});
