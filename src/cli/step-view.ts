import { styleText } from 'node:util';
import type { Progress } from '../core/ports.js';

// What a person at a terminal sees during deploy, rollback and up: the steps as a list that
// updates in place (log-update redraws it), a spinner and the elapsed time on the running step
// with what it waits for (Docker health, the probe, HAProxy's check), a tick and the duration on
// finished ones. Colour only on a colour terminal without NO_COLOR; lines are cut to the width.
// Logs (pino) are held back while it runs, so the two never interleave (`--verbose`: logs only).

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Row {
  service: string;
  step: string;
  description: string;
  startedAt: number;
  endedAt: number | null;
  detail: string | null;
  failed: boolean;
}

export type { Row as StepRow };

export interface StepView {
  progress(base: Progress, service: string): Progress;
  /** The command finished (`ok`) or failed: the running step is closed and the view left as is. */
  stop(ok: boolean): void;
}

export interface Screen {
  update(text: string): void;
  done(): void;
  columns(): number;
}

function startedRow(service: string, step: string, description: string, at: number): Row {
  return { service, step, description, startedAt: at, endedAt: null, detail: null, failed: false };
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The view's text for these rows at `now` (pure, for the tests). */
export function renderRows(
  rows: Row[],
  now: number,
  frame: number,
  options: { color: boolean; width: number; multi?: boolean },
): string {
  // With several services in the stack, each step says whose it is.
  const multi = options.multi ?? new Set(rows.map((r) => r.service)).size > 1;
  // We decide on colour (terminal, NO_COLOR) ourselves: styleText must not second-guess it.
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    options.color ? styleText(style, text, { validateStream: false }) : text;
  return rows
    .map((row) => {
      const running = row.endedAt === null;
      const icon = row.failed
        ? paint('red', '✖')
        : running
          ? paint('cyan', FRAMES[frame % FRAMES.length]!)
          : paint('green', '✔');
      const took = duration((row.endedAt ?? now) - row.startedAt);
      const what = `${multi ? `${row.service}: ` : ''}${row.description}`;
      const waiting = running && row.detail ? ` — ${row.detail}` : '';
      // Cut before painting, so escape codes never count toward the width.
      const plain = `${what}  ${took}${waiting}`;
      const room = Math.max(20, options.width - 3);
      const cut = plain.length > room ? `${plain.slice(0, room - 1)}…` : plain;
      return `${icon} ${cut.replace(took, paint('dim', took))}`;
    })
    .join('\n');
}

export function stepView(screen: Screen, options: { color: boolean }, now = () => performance.now()): StepView {
  const rows: Row[] = [];
  const services = new Set<string>();
  let frame = 0;
  const draw = () =>
    screen.update(renderRows(rows, now(), frame, { ...options, width: screen.columns(), multi: services.size > 1 }));
  const timer = setInterval(() => {
    frame++;
    draw();
  }, 80);
  timer.unref();
  const close = (failed: boolean) => {
    const last = rows.at(-1);
    if (last && last.endedAt === null) {
      last.endedAt = now();
      last.failed = failed;
    }
  };
  return {
    progress(base, service) {
      services.add(service);
      return {
        phase(name, fields = {}) {
          if (typeof fields.step !== 'string') return; // the switch itself: shown by its step
          close(false);
          rows.push(startedRow(service, name, fields.step, now()));
          draw();
        },
        warn(message, fields) {
          base.warn(message, fields);
          const last = rows.at(-1);
          if (last) last.detail = `warning: ${message}`;
          draw();
        },
        detail(text) {
          const last = rows.at(-1);
          if (last && last.endedAt === null) last.detail = text;
        },
        // A hook's lines: the latest one beside its running step (all of them are in --json).
        output(line) {
          const last = rows.at(-1);
          if (last && last.endedAt === null) last.detail = line;
        },
      };
    },
    stop(ok) {
      clearInterval(timer);
      close(!ok);
      draw();
      screen.done();
    },
  };
}

/**
 * Not a terminal (a pipe, CI, journald): one plain line per finished step, the same words as the
 * live view's, no escape codes, nothing redrawn.
 */
export function lineStepView(write: (line: string) => void, now = () => performance.now()): StepView {
  let current: Row | null = null;
  const services = new Set<string>();
  const close = (failed: boolean) => {
    if (!current) return;
    const ms = now() - current.startedAt;
    const who = services.size > 1 ? `${current.service}: ` : '';
    write(`${failed ? '✖' : '✔'} ${who}${current.description}  ${duration(ms)}\n`);
    current = null;
  };
  return {
    progress(base, service) {
      services.add(service);
      return {
        phase(name, fields = {}) {
          if (typeof fields.step !== 'string') return;
          close(false);
          current = startedRow(service, name, fields.step, now());
        },
        warn(message, fields) {
          base.warn(message, fields);
          write(`warning: ${message}\n`);
        },
        // Every line of a hook's output as it comes (the step's own line follows when it ends).
        output(line) {
          write(`  │ ${line}\n`);
        },
      };
    },
    stop(ok) {
      close(!ok);
    },
  };
}

/** The view on stderr, drawn by log-update (loaded only when a person watches a terminal). */
export async function terminalStepView(): Promise<StepView> {
  const { createLogUpdate } = await import('log-update');
  const update = createLogUpdate(process.stderr, { showCursor: false });
  const color = process.stderr.hasColors?.() === true && process.env.NO_COLOR === undefined;
  return stepView(
    { update: (text) => update(text), done: () => update.done(), columns: () => process.stderr.columns ?? 80 },
    { color },
  );
}
