import { existsSync } from 'node:fs';
import http from 'node:http';
import { createLogger } from '../adapters/logger.js';
import { type GlobalOptions, loadSettings } from '../app/root.js';
import { ConfigError, errnoCode } from '../core/errors.js';
import type { CommandResult, StackStatusReport, StatusReport } from '../core/service.js';
import type { Settings } from '../core/settings.js';
import { type ErrorBody, RemoteError, SidecarError } from '../sidecar/errors.js';
import {
  controlSocketPath,
  type DeployRequest,
  type HealthReport,
  ROUTES,
  type RollbackRequest,
  SIDECAR_ENV,
  TOKEN_ENV,
} from '../sidecar/protocol.js';

// The CLI side of the sidecar's control API. When a sidecar runs (LINKSWITCH_SIDECAR points at
// it, or its control socket answers beside the state file), deploy, rollback and status run
// there: the sidecar holds the deploy lock, so a CLI and a sidecar never deploy at once, and the
// output and exit code are the same as when the CLI runs the verb itself.

export interface SidecarTarget {
  /** How the user named it, for messages (never includes the token). */
  label: string;
  socketPath?: string;
  host?: string;
  port?: number;
  token?: string;
}

const QUICK_MS = 10_000;
/** A deploy waits for health (health.timeout) and maybe the lock; the sidecar bounds both. */
const VERB_MS = 30 * 60_000;

export function sidecarFromEnv(env: NodeJS.ProcessEnv): SidecarTarget | null {
  const value = env[SIDECAR_ENV]?.trim();
  if (!value) return null;
  if (value.startsWith('unix:')) return { label: value, socketPath: value.slice('unix:'.length) };
  if (value.startsWith('/')) return { label: `unix:${value}`, socketPath: value };
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url?.protocol !== 'http:' || !url.hostname) {
    throw new ConfigError(`invalid ${SIDECAR_ENV} ${JSON.stringify(value)}`, {
      fix: 'use unix:/path/to/control.sock or http://127.0.0.1:9180 (put TLS in front of a non-loopback address)',
    });
  }
  return {
    label: `${url.protocol}//${url.host}`,
    host: url.hostname,
    port: Number(url.port || 80),
    token: env[TOKEN_ENV],
  };
}

export class SidecarClient {
  constructor(readonly target: SidecarTarget) {}

  async health(timeoutMs = QUICK_MS): Promise<HealthReport> {
    return (await this.request<HealthReport>('GET', ROUTES.health, undefined, timeoutMs, true)).body;
  }

  async status(): Promise<StatusReport | StackStatusReport> {
    return (await this.request<StatusReport | StackStatusReport>('GET', ROUTES.status, undefined, QUICK_MS)).body;
  }

  async deploy(request: DeployRequest): Promise<CommandResult> {
    return (await this.request<CommandResult>('POST', ROUTES.deploy, request, VERB_MS)).body;
  }

  async rollback(request: RollbackRequest): Promise<CommandResult> {
    return (await this.request<CommandResult>('POST', ROUTES.rollback, request, VERB_MS)).body;
  }

  private request<T>(
    method: string,
    route: string,
    body: unknown,
    timeoutMs: number,
    anyStatus = false,
  ): Promise<{ status: number; body: T }> {
    const { socketPath, host, port, token, label } = this.target;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = http.request(
        { method, path: route, headers, agent: false, ...(socketPath ? { socketPath } : { host, port }) },
        (response) => {
          answered = true;
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', (error) => reject(this.lost(route, error)));
          response.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(
                new SidecarError(
                  `the sidecar at ${label} answered ${response.statusCode} with something that is not JSON`,
                  { detail: text.slice(0, 500), fix: `check that ${SIDECAR_ENV} points at linkswitch serve` },
                ),
              );
            }
            const status = response.statusCode ?? 0;
            if (status >= 400 && !anyStatus) {
              const error = (parsed as Partial<ErrorBody>).error;
              return reject(
                error
                  ? new RemoteError(error)
                  : new SidecarError(`the sidecar at ${label} answered HTTP ${status}`, {
                      fix: "read the sidecar's log (`docker compose logs linkswitch`)",
                    }),
              );
            }
            resolve({ status, body: parsed as T });
          });
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return;
        const code = error.code ?? error.message;
        const unreachable = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH'].includes(
          error.code ?? '',
        );
        reject(
          unreachable
            ? new SidecarError(`cannot reach the sidecar at ${label} (${code})`, {
                fix: `start it (\`docker compose up -d\`), or unset ${SIDECAR_ENV} to run here`,
                cause: error,
              })
            : this.lost(route, error),
        );
      });
      request.end(payload);
    });
  }

  private lost(route: string, error: Error): SidecarError {
    const verb = route.split('/').pop();
    return new SidecarError(
      `lost the connection to the sidecar at ${this.target.label} during ${verb} ` +
        `(${errnoCode(error) ?? error.message})`,
      {
        fix: 'it may have finished or abandoned the operation: run `linkswitch status`',
        cause: error,
      },
    );
  }
}

/** Where a verb runs: in the sidecar that owns the stack, or here with the config read once. */
export type VerbTarget = { sidecar: SidecarClient; settings?: undefined } | { sidecar?: undefined; settings: Settings };

/**
 * Where to run a verb. $LINKSWITCH_SIDECAR is explicit (no local config needed; an unreachable
 * sidecar is then an error); otherwise the config is read (once: a local run reuses it) and a
 * control socket that answers beside the state file means a `linkswitch serve` owns this stack.
 * A socket nobody answers on was left by a sidecar that is gone: run here, under the same lock.
 */
export async function locateVerb(
  options: GlobalOptions,
  verb: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<VerbTarget> {
  const explicit = sidecarFromEnv(env);
  if (explicit) return { sidecar: announce(new SidecarClient(explicit), verb) };
  const settings = await loadSettings(options, env);
  const socketPath = controlSocketPath(settings);
  if (!existsSync(socketPath)) return { settings };
  const client = new SidecarClient({ label: `unix:${socketPath}`, socketPath });
  try {
    await client.health(2_000);
  } catch {
    return { settings };
  }
  return { sidecar: announce(client, verb) };
}

function announce(client: SidecarClient, verb: string): SidecarClient {
  createLogger().info({ sidecar: client.target.label, command: verb }, 'Running in the sidecar');
  return client;
}
