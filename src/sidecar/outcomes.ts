import type { Logger } from 'pino';
import {
  CanaryAbortedError,
  HaproxyConfigError,
  LinkswitchError,
  messageOf,
  ReloadFailedError,
  TemplateError,
  WatchRollbackError,
} from '../core/errors.js';
import type { CommandResult } from '../core/service.js';
import type { Metrics } from './metrics.js';

// How an operation of the sidecar ends up in its metrics and its log.

interface Outlets {
  metrics: Metrics;
  log: Logger;
}

export function recordSuccess({ metrics, log }: Outlets, command: string, result: CommandResult): void {
  if (command === 'deploy') metrics.deployed();
  if (result.report?.canary) metrics.canaryPassed();
  if (result.report?.switchMs != null) metrics.switched(result.report.switchMs);
  if (result.report?.configChanged) metrics.reloaded('applied');
  metrics.setLinked(result.state.linked);
  const { state } = result;
  log.info(
    {
      command,
      linked: state.linked,
      generation: state.generation,
      image: state.colours[state.linked]?.image,
      switchMs: result.report?.switchMs,
      durationMs: Math.round(result.durationMs),
    },
    `${command} finished`,
  );
}

export function recordFailure({ metrics, log }: Outlets, command: string, error: unknown): void {
  metrics.failed(command, error instanceof LinkswitchError ? error.code : 'UNEXPECTED');
  if (error instanceof CanaryAbortedError) metrics.canaryAborted(error.reason);
  if (error instanceof WatchRollbackError) metrics.watchRolledBack(error.reason);
  if (error instanceof HaproxyConfigError || error instanceof TemplateError) metrics.reloaded('rejected');
  else if (error instanceof ReloadFailedError) metrics.reloaded('failed');
  logFailure(log, command, error);
}

export function logFailure(log: Logger, command: string, error: unknown): void {
  if (error instanceof LinkswitchError)
    log.error({ command, code: error.code, fix: error.fix, detail: error.detail }, error.message);
  else log.error({ command, error: messageOf(error) }, 'Unexpected error');
}
