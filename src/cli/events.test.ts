import { describe, expect, it } from 'vitest';
import { UnhealthyError } from '../core/errors.js';
import type { CommandResult } from '../core/service.js';
import { initialState } from '../core/state.js';
import { eventStream } from './events.js';

// `--events`: what a script reading stdout line by line sees.

describe('eventStream', () => {
  const setup = () => {
    const lines: string[] = [];
    let clock = 0;
    const events = eventStream(
      (line) => lines.push(line),
      () => clock,
    );
    const base = { phase: () => undefined, warn: () => undefined };
    const progress = events.progress(base, 'web');
    return { events, progress, tick: (ms: number) => (clock += ms), parsed: () => lines.map((l) => JSON.parse(l)) };
  };

  it('turns each step into a start and an end line, the switch and warnings into their own lines, then the result', () => {
    const { events, progress, tick, parsed } = setup();
    progress.phase('check-config', { step: 'render and validate' });
    tick(40);
    progress.phase('switch', { step: 'switch traffic from blue to green' });
    tick(1);
    progress.phase('switched', { from: 'blue', to: 'green', switchMs: 0.7 });
    progress.warn('something to know');
    tick(9);
    const result: CommandResult = {
      plan: [{ kind: 'check-config', linked: 'green' }],
      report: { switchMs: 0.7, configChanged: true, stepsRun: ['check-config'], hooks: [] },
      state: { ...initialState('web'), linked: 'green', generation: 1 },
      durationMs: 50,
    };
    events.result('rollback', result);
    expect(parsed()).toEqual([
      { event: 'step', phase: 'start', service: 'web', step: 'check-config', description: 'render and validate', t: 0 },
      { event: 'step', phase: 'end', service: 'web', step: 'check-config', ms: 40, t: 40 },
      {
        event: 'step',
        phase: 'start',
        service: 'web',
        step: 'switch',
        description: 'switch traffic from blue to green',
        t: 40,
      },
      { event: 'switched', service: 'web', from: 'blue', to: 'green', switchMs: 0.7, t: 41 },
      { event: 'warning', service: 'web', message: 'something to know', t: 41 },
      { event: 'step', phase: 'end', service: 'web', step: 'switch', ms: 10, t: 50 },
      expect.objectContaining({ event: 'result', command: 'rollback', service: 'web', linked: 'green', switchMs: 0.7 }),
    ]);
  });

  it('ends the running step and prints the error line when the command fails', () => {
    const { events, progress, tick, parsed } = setup();
    progress.phase('wait-healthy', { step: 'wait until green is healthy' });
    tick(5);
    events.failed(new UnhealthyError('green did not become healthy', { fix: 'see docker logs' }));
    expect(parsed().slice(1)).toEqual([
      { event: 'step', phase: 'end', service: 'web', step: 'wait-healthy', ms: 5, t: 5 },
      {
        event: 'error',
        code: 'COLOUR_UNHEALTHY',
        exitCode: 5,
        message: 'green did not become healthy',
        fix: 'see docker logs',
        t: 5,
      },
    ]);
  });
});
