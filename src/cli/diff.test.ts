import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';

const body = (diff: string) => diff.split('\n').slice(2, -1);

describe('unifiedDiff', () => {
  it.each(['', 'a', 'global\n    maxconn 100\n'])('returns an empty string for equal texts (%j)', (text) => {
    expect(unifiedDiff(text, text, 'haproxy.cfg')).toBe('');
  });

  it('names both sides in the header and ends with a newline', () => {
    const diff = unifiedDiff('a\n', 'b\n', 'haproxy.cfg');
    expect(diff.split('\n').slice(0, 2)).toEqual(['--- haproxy.cfg (live)', '+++ haproxy.cfg (rendered)']);
    expect(diff.endsWith('\n')).toBe(true);
  });

  it('shows a changed line as one removal and one addition, and nothing for unchanged lines', () => {
    const before =
      'backend be_web\n    server blue 127.0.0.1:32001 weight 100\n    server green 127.0.0.1:32002 weight 0\n';
    const after =
      'backend be_web\n    server blue 127.0.0.1:32001 weight 0\n    server green 127.0.0.1:32002 weight 100\n';
    const lines = body(unifiedDiff(before, after, 'haproxy.cfg'));
    expect(lines.filter((l) => l.startsWith('-')).sort()).toEqual([
      '-    server blue 127.0.0.1:32001 weight 100',
      '-    server green 127.0.0.1:32002 weight 0',
    ]);
    expect(lines.filter((l) => l.startsWith('+')).sort()).toEqual([
      '+    server blue 127.0.0.1:32001 weight 0',
      '+    server green 127.0.0.1:32002 weight 100',
    ]);
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).not.toContain('backend be_web');
  });

  it('shows pure additions and pure removals', () => {
    expect(body(unifiedDiff('a\nc\n', 'a\nb\nc\n', 'f'))).toEqual(['+b']);
    expect(body(unifiedDiff('a\nb\nc\n', 'a\nc\n', 'f'))).toEqual(['-b']);
  });

  it('diffs against an empty (missing) live file', () => {
    expect(body(unifiedDiff('', 'x\ny', 'f')).sort()).toEqual(['+x', '+y', '-'].sort());
  });

  it('every body line is prefixed with + or -, and the counts match an LCS diff', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f'].join('\n');
    const after = ['a', 'x', 'c', 'd', 'y', 'f', 'g'].join('\n');
    const lines = body(unifiedDiff(before, after, 'f'));
    for (const line of lines) expect(line).toMatch(/^[+-]/);
    expect(lines.filter((l) => l.startsWith('-')).sort()).toEqual(['-b', '-e']);
    expect(lines.filter((l) => l.startsWith('+')).sort()).toEqual(['+g', '+x', '+y']);
  });
});
