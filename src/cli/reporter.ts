import type { Logger } from 'pino';
import { createLogger } from '../adapters/logger.js';
import { type GlobalOptions, type ProgressWrap, serviceProgress } from '../app/root.js';
import type { CommandResult } from '../core/service.js';
import type { ProgressSink } from '../sidecar/protocol.js';
import { eventStream } from './events.js';
import { printOutcome } from './output.js';
import { lineStepView, terminalStepView } from './step-view.js';

// How a changing verb (deploy, rollback, up) reports: NDJSON events (`--events`), the live step
// view (a person at a terminal), plain step lines (a pipe, CI, journald), or logs (`--verbose`,
// LINKSWITCH_LOG_FORMAT), with the one-line result or `--json` on stdout.

export interface Reporter {
  /** Wraps each service's progress; absent: the logs report it. */
  progress?: ProgressWrap;
  /** The logger for this command (quiet while the live view draws). */
  log?: Logger;
  /** One result (a multi-service `up` has one per service). */
  done(verb: string, result: CommandResult): void;
  /** The command is over: the view closes; after an error, `--events` prints its line. */
  end(error?: unknown): void;
}

export async function reporter(global: GlobalOptions, opts: { json?: boolean; dryRun?: boolean }): Promise<Reporter> {
  if (global.events) {
    const events = eventStream((line) => process.stdout.write(line));
    return {
      progress: events.progress,
      done: events.result,
      end: (error) => {
        if (error !== undefined) events.failed(error);
      },
    };
  }
  const person =
    process.stderr.isTTY === true &&
    !global.verbose &&
    !opts.json &&
    !opts.dryRun &&
    !process.env.LINKSWITCH_LOG_FORMAT;
  if (person) {
    const view = await terminalStepView();
    const results: Array<[string, CommandResult]> = [];
    return {
      progress: view.progress,
      // Errors still print (after the view stops); everything else is in the view.
      log: createLogger('error'),
      // The results print once the view is closed, below it.
      done: (verb, result) => results.push([verb, result]),
      end: (error) => {
        view.stop(error === undefined);
        for (const [verb, result] of results) printOutcome(verb, result, opts);
      },
    };
  }
  if (!global.verbose && !process.env.LINKSWITCH_LOG_FORMAT) {
    // A pipe or CI: a plain line per step; errors still print, the rest is in the lines.
    const view = lineStepView((line) => process.stderr.write(line));
    return {
      progress: view.progress,
      log: createLogger('error'),
      done: (verb, result) => printOutcome(verb, result, opts),
      end: (error) => view.stop(error === undefined),
    };
  }
  return { done: (verb, result) => printOutcome(verb, result, opts), end: () => undefined };
}

/**
 * Runs a verb's work with its report: buildApp gets the report's logger and progress, and the
 * report is closed afterwards (with the error, which is thrown on, when the work fails).
 */
export async function reported(
  global: GlobalOptions,
  opts: { json?: boolean; dryRun?: boolean },
  work: (report: Reporter, app: { log?: Logger; progress?: ProgressWrap }) => Promise<void>,
): Promise<void> {
  const report = await reporter(global, opts);
  const app = { ...(report.log ? { log: report.log } : {}), ...(report.progress ? { progress: report.progress } : {}) };
  try {
    await work(report, app);
  } catch (error) {
    report.end(error);
    throw error;
  }
  report.end();
}

/**
 * Where a verb that runs in the sidecar reports here: the same progress a local run's services
 * get (app/root.ts: the logger's, wrapped by the step view or `--events`), service by service.
 */
export function progressSink(app: { log?: Logger; progress?: ProgressWrap }): ProgressSink {
  const log = app.log ?? createLogger();
  return (service) => serviceProgress(log, service, app.progress);
}
