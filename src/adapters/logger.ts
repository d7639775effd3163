import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Progress } from '../core/ports.js';

// pino-pretty and its dependencies load only for a person's terminal: the sidecar and CI log JSON.
const require = createRequire(import.meta.url);

// JSON to stderr by default (machines read it; stdout stays free for --json output); pretty
// when a person is watching a terminal. Env values never reach a log line, and the redaction
// below is a second guard should a future call log a container spec.

export const REDACT_PATHS = ['env', '*.env', 'Env', '*.Env', 'token', '*.token', 'authorization', '*.authorization'];

export function createLogger(level = process.env.LINKSWITCH_LOG_LEVEL ?? 'info'): Logger {
  const format = process.env.LINKSWITCH_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const options = { level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (format === 'pretty') {
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(
      options,
      pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', singleLine: true }),
    );
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

const PHASE_MESSAGES: Record<string, string> = {
  'mark-pending': 'Starting deploy',
  'remove-container': 'Removing old container',
  'retire-container': 'Renaming old container',
  'remove-retired': 'Removing old container',
  'run-container': 'Creating container',
  'start-container': 'Starting container',
  'wait-healthy': 'Waiting for health',
  'apply-config': 'Applying haproxy.cfg',
  'check-config': 'Validating haproxy.cfg',
  'start-haproxy': 'Starting HAProxy',
  'stop-haproxy': 'Stopping HAProxy',
  'wait-haproxy-up': 'Waiting for HAProxy check',
  switch: 'Switching traffic',
  switched: 'Switched',
  'record-state': 'Recording state',
  'resolve-pending': 'Resolving interrupted deploy',
  drain: 'Draining old colour',
  certificate: 'Certificate',
};

export function progressFor(log: Logger, fields: Record<string, unknown> = {}): Progress {
  return {
    phase(name, extra = {}) {
      log.info({ ...fields, phase: name, ...extra }, PHASE_MESSAGES[name] ?? name);
    },
    warn(message, extra = {}) {
      log.warn({ ...fields, ...extra }, message);
    },
    // Hook output: the sidecar's log (and --verbose) show every line.
    output(line) {
      log.info({ ...fields, hookOutput: true }, line);
    },
  };
}
