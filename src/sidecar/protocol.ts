import path from 'node:path';
import type { Progress } from '../core/ports.js';
import type { CommandResult } from '../core/service.js';
import type { Settings } from '../core/settings.js';
import type { ErrorBody } from './errors.js';

// What the CLI and `linkswitch serve` agree on: routes, where the unix socket lives, and the
// environment variables that point the CLI at a sidecar.

export const ROUTES = {
  health: '/v1/healthz',
  status: '/v1/status',
  deploy: '/v1/deploy',
  rollback: '/v1/rollback',
  metrics: '/metrics',
} as const;

/** `unix:/path/control.sock` or `http://host:port`: run deploy, rollback and status there. */
export const SIDECAR_ENV = 'LINKSWITCH_SIDECAR';
/** Bearer token of the TCP control API (both ends). Never logged. */
export const TOKEN_ENV = 'LINKSWITCH_TOKEN';
/** A file holding the token instead (a Docker secret): the sidecar re-reads it when it changes. */
export const TOKEN_FILE_ENV = 'LINKSWITCH_TOKEN_FILE';

/**
 * The control socket sits beside the state file and its lock, so every linkswitch that shares
 * the state (the CLI on the same host or `docker compose exec` in the sidecar) finds it.
 */
export function controlSocketPath(config: Settings): string {
  return path.join(path.dirname(config.state.file), 'control.sock');
}

export interface DeployRequest {
  /** Several services: which one (may be omitted when there is one). */
  service?: string | undefined;
  image?: string;
  dryRun?: boolean;
  /** Shift traffic step by step (the service's `canary:` settings). */
  canary?: boolean;
  /** A watch window after the switch (ms), overriding the service's `watch:`. */
  watchMs?: number;
  /** The CLI's --lock-wait, in milliseconds. */
  lockWaitMs?: number;
}

export interface RollbackRequest {
  service?: string | undefined;
  dryRun?: boolean;
  lockWaitMs?: number;
}

export interface HealthReport {
  ok: boolean;
  phase: string;
}

/**
 * A client that sends `Accept: application/x-ndjson` with a deploy or rollback follows it: the
 * answer is one JSON object per line, each progress report of the operation as it happens (the
 * steps, what a waiting step waits for, warnings, hook output), then its outcome. Without it the
 * answer is the outcome alone, as before.
 */
export const PROGRESS_STREAM = 'application/x-ndjson';

/** One line of that answer: a progress report of one service, or the outcome. */
export type StreamLine =
  | { progress: 'phase'; service: string; name: string; fields: Record<string, unknown> }
  | { progress: 'warn'; service: string; message: string; fields: Record<string, unknown> }
  | { progress: 'detail'; service: string; text: string }
  | { progress: 'output'; service: string; line: string }
  | { result: CommandResult }
  | ErrorBody;

/** Where the progress of an operation goes, service by service. */
export type ProgressSink = (service: string) => Progress;
