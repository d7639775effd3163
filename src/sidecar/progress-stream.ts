import type http from 'node:http';
import { REDACT_PATHS } from '../adapters/logger.js';
import type { CommandResult } from '../core/service.js';
import { errorBody } from './errors.js';
import { PROGRESS_STREAM, type ProgressSink, type StreamLine } from './protocol.js';

// A deploy or rollback for a client that follows it (protocol.ts, PROGRESS_STREAM): the answer
// starts at once and carries each progress report as a line, then the outcome, so the CLI that
// delegated a verb shows the same live steps, `--events` and logs as when it runs the verb itself.

export function wantsProgress(request: http.IncomingMessage): boolean {
  return (request.headers.accept ?? '').includes(PROGRESS_STREAM);
}

/** Keys whose values never leave the sidecar: the ones its logger redacts. */
const PRIVATE_KEYS = new Set(REDACT_PATHS.filter((p) => !p.includes('.')).map((p) => p.toLowerCase()));

/** A report's fields as they travel: plain values only, nothing that could carry a secret. */
export function shareableFields(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const shared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (PRIVATE_KEYS.has(key.toLowerCase())) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) shared[key] = value;
  }
  return shared;
}

/**
 * Answers 200 at once and runs the verb with a sink that writes its reports; the last line is
 * the result or the error. A client that goes away stops getting lines, not the operation: it
 * runs to its end as it does for a client that waits for the whole answer.
 */
export async function streamOutcome(
  response: http.ServerResponse,
  run: (sink: ProgressSink) => Promise<CommandResult>,
): Promise<void> {
  response.writeHead(200, { 'content-type': PROGRESS_STREAM, 'cache-control': 'no-store' });
  const write = (line: StreamLine) => {
    if (!response.destroyed && !response.writableEnded) response.write(`${JSON.stringify(line)}\n`);
  };
  const sink: ProgressSink = (service) => ({
    phase: (name, fields) => write({ progress: 'phase', service, name, fields: shareableFields(fields) }),
    warn: (message, fields) => write({ progress: 'warn', service, message, fields: shareableFields(fields) }),
    detail: (text) => write({ progress: 'detail', service, text }),
    output: (line) => write({ progress: 'output', service, line }),
  });
  let outcome: StreamLine;
  try {
    outcome = { result: await run(sink) };
  } catch (error) {
    outcome = errorBody(error);
  }
  write(outcome);
  response.end();
}
