import { describe, expect, it } from 'vitest';
import { lineStepView, renderRows, type StepRow, stepView } from './step-view.js';

const ESC = '\u001b';

// The live step view as text: what a person sees at each moment (drawn by log-update on a TTY).

const row = (over: Partial<StepRow>): StepRow => ({
  service: 'web',
  step: 'wait-healthy',
  description: 'wait until green is healthy',
  startedAt: 0,
  endedAt: null,
  detail: null,
  failed: false,
  ...over,
});

describe('the live step view', () => {
  it('ticks finished steps with their duration; the running one spins, with what it waits for', () => {
    const text = renderRows(
      [
        row({ step: 'check-config', description: 'validate haproxy.cfg', endedAt: 86 }),
        row({ startedAt: 86, detail: 'GET /health on 172.18.0.3:8080: HTTP 503' }),
      ],
      1286,
      0,
      { color: false, width: 120 },
    );
    expect(text).toBe(
      '✔ validate haproxy.cfg  86 ms\n⠋ wait until green is healthy  1.2 s — GET /health on 172.18.0.3:8080: HTTP 503',
    );
  });

  it('cuts lines to the terminal width, names the service when there are several, and marks a failed step', () => {
    const text = renderRows(
      [row({ endedAt: 500, failed: true }), row({ service: 'api', description: 'a very long description '.repeat(5) })],
      900,
      3,
      { color: false, width: 40 },
    );
    const [first, second] = text.split('\n');
    expect(first).toBe('✖ web: wait until green is healthy  50…');
    expect(second!.length).toBeLessThanOrEqual(40);
    expect(second).toMatch(/^⠸ api: a very long/);
  });

  it('paints only on a colour terminal (no escape codes otherwise)', () => {
    const plain = renderRows([row({ endedAt: 5 })], 5, 0, { color: false, width: 80 });
    expect(plain).not.toContain(`${ESC}[`);
    const painted = renderRows([row({ endedAt: 5 })], 5, 0, { color: true, width: 80 });
    expect(painted).toContain(`${ESC}[32m✔`);
  });

  it('follows the progress of a command, and closes the running step when it ends', () => {
    const frames: string[] = [];
    let clock = 0;
    let closed = false;
    const view = stepView(
      { update: (t) => frames.push(t), done: () => (closed = true), columns: () => 80 },
      { color: false },
      () => clock,
    );
    const progress = view.progress({ phase: () => undefined, warn: () => undefined }, 'web');
    progress.phase('check-config', { step: 'validate' });
    clock = 40;
    progress.phase('switch', { step: 'switch traffic' });
    progress.phase('switched', { from: 'blue', to: 'green' });
    progress.detail?.('HAProxy sees green UP');
    clock = 41;
    view.stop(true);
    expect(closed).toBe(true);
    expect(frames.at(-1)).toBe('✔ validate  40 ms\n✔ switch traffic  1 ms');
  });

  it('prints one plain line per finished step when there is no terminal', () => {
    const lines: string[] = [];
    let clock = 0;
    const view = lineStepView(
      (l) => lines.push(l),
      () => clock,
    );
    const progress = view.progress({ phase: () => undefined, warn: () => undefined }, 'web');
    progress.phase('check-config', { step: 'validate' });
    clock = 1500;
    progress.phase('wait-healthy', { step: 'wait until green is healthy' });
    progress.warn('slow start');
    clock = 1600;
    view.stop(false);
    expect(lines).toEqual(['✔ validate  1.5 s\n', 'warning: slow start\n', '✖ wait until green is healthy  100 ms\n']);
    expect(lines.join('')).not.toContain(ESC);
  });
});
