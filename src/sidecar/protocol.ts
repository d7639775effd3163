import path from 'node:path';
import type { Settings } from '../core/settings.js';

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
export const MIN_TOKEN_LENGTH = 16;

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
