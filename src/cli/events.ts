import { LinkswitchError } from '../core/errors.js';
import type { Progress } from '../core/ports.js';
import type { CommandResult } from '../core/service.js';
import { summarize } from './output.js';

// `--events`: the command as NDJSON on stdout for scripts and CI, one object per line. Each step
// starts and ends ({"event":"step","phase":"start"|"end",…}), warnings and the switch are events
// of their own, and the last line is the result ({"event":"result",…}, the fields of --json) or
// the error ({"event":"error",…}). Logs stay on stderr.

export type EmittedEvent = Record<string, unknown> & { event: string };

export interface EventStream {
  /** Wraps a service's progress so its steps become events (`service` names it in each). */
  progress(base: Progress, service: string): Progress;
  emit(event: EmittedEvent): void;
  /** Ends the step still running, then the result line (what `--json` prints). */
  result(verb: string, result: CommandResult): void;
  /** Ends the step still running, then the error line; the caller still fails with it. */
  failed(error: unknown): void;
}

export function eventStream(write: (line: string) => void, now: () => number = () => performance.now()): EventStream {
  const started = now();
  let current: { service: string; step: string; at: number } | null = null;
  const since = () => Math.round(now() - started);
  const emit = (event: EmittedEvent) => write(`${JSON.stringify(event)}\n`);
  const end = () => {
    if (!current) return;
    const ms = Math.round(now() - current.at);
    emit({ event: 'step', phase: 'end', service: current.service, step: current.step, ms, t: since() });
    current = null;
  };
  return {
    emit,
    result(verb, result) {
      end();
      emit({ event: 'result', ...summarize(verb, result), t: since() });
    },
    failed(error) {
      end();
      const known = error instanceof LinkswitchError;
      emit({
        event: 'error',
        code: known ? error.code : 'UNEXPECTED',
        exitCode: known ? error.exitCode : 1,
        message: known ? error.message : String(error),
        ...(known && error.fix ? { fix: error.fix } : {}),
        t: since(),
      });
    },
    progress(base, service) {
      return {
        phase(name, fields = {}) {
          base.phase(name, fields);
          // Steps carry their description; other phases (the switch) are events in a step.
          if (typeof fields.step === 'string') {
            end();
            current = { service, step: name, at: now() };
            emit({ event: 'step', phase: 'start', service, step: name, description: fields.step, t: since() });
          } else {
            emit({ event: name, service, ...fields, t: since() });
          }
        },
        warn(message, fields = {}) {
          base.warn(message, fields);
          emit({ event: 'warning', service, message, t: since() });
        },
        detail: (text) => base.detail?.(text),
        // A hook's output, line by line, inside its step.
        output(line) {
          base.output?.(line);
          emit({ event: 'output', service, step: current?.step ?? null, line, t: since() });
        },
      };
    },
  };
}
