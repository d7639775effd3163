import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { Logger } from 'pino';
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
  PROGRESS_STREAM,
  type ProgressSink,
  ROUTES,
  type RollbackRequest,
  SIDECAR_ENV,
  TOKEN_ENV,
  TOKEN_FILE_ENV,
} from '../sidecar/protocol.js';
import { StreamReader } from './remote-stream.js';

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

/** The client reads a token file once per command (the sidecar re-reads its own as it changes). */
function tokenFromFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`cannot read ${TOKEN_FILE_ENV} ${file}: ${(error as Error).message}`, {
      fix: `point ${TOKEN_FILE_ENV} at the file holding the sidecar's token, or set ${TOKEN_ENV}`,
    });
  }
}

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
    token: env[TOKEN_ENV] || tokenFromFile(env[TOKEN_FILE_ENV]),
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

  /** `sink`: follow the deploy, its progress replayed there as it happens. */
  async deploy(request: DeployRequest, sink?: ProgressSink): Promise<CommandResult> {
    if (sink) return this.follow(ROUTES.deploy, request, sink);
    return (await this.request<CommandResult>('POST', ROUTES.deploy, request, VERB_MS)).body;
  }

  async rollback(request: RollbackRequest, sink?: ProgressSink): Promise<CommandResult> {
    if (sink) return this.follow(ROUTES.rollback, request, sink);
    return (await this.request<CommandResult>('POST', ROUTES.rollback, request, VERB_MS)).body;
  }

  private async request<T>(
    method: string,
    route: string,
    body: unknown,
    timeoutMs: number,
    anyStatus = false,
  ): Promise<{ status: number; body: T }> {
    const { status, text } = await this.exchange(method, route, body, timeoutMs, 'application/json');
    return { status, body: this.parsed<T>(status, text, anyStatus) };
  }

  /**
   * A verb the sidecar streams (PROGRESS_STREAM): its reports go to `sink` line by line, its
   * last line is the outcome. A sidecar that answers plain JSON (one from before the stream)
   * answers the outcome alone.
   */
  private async follow(route: string, body: unknown, sink: ProgressSink): Promise<CommandResult> {
    const reader = new StreamReader(sink);
    const { status, text, streamed } = await this.exchange('POST', route, body, VERB_MS, PROGRESS_STREAM, (chunk) =>
      reader.push(chunk),
    );
    if (!streamed) return this.parsed<CommandResult>(status, text);
    if (reader.outcome.error) throw reader.outcome.error;
    if (reader.outcome.result) return reader.outcome.result;
    throw this.lost(route, new Error('the answer ended before the outcome'));
  }

  /** The body as JSON; an HTTP error as the error the sidecar reported. */
  private parsed<T>(status: number, text: string, anyStatus = false): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SidecarError(`the sidecar at ${this.target.label} answered ${status} with something that is not JSON`, {
        detail: text.slice(0, 500),
        fix: `check that ${SIDECAR_ENV} points at linkswitch serve`,
      });
    }
    if (status >= 400 && !anyStatus) {
      const error = (parsed as Partial<ErrorBody>).error;
      throw error
        ? new RemoteError(error)
        : new SidecarError(`the sidecar at ${this.target.label} answered HTTP ${status}`, {
            fix: "read the sidecar's log (`docker compose logs linkswitch`)",
          });
    }
    return parsed as T;
  }

  /**
   * One request; resolves with the whole answer. `onStream` takes the chunks of a streamed
   * (NDJSON) answer as they arrive instead: `streamed` says which it was.
   */
  private exchange(
    method: string,
    route: string,
    body: unknown,
    timeoutMs: number,
    accept: string,
    onStream?: (chunk: string) => void,
  ): Promise<{ status: number; text: string; streamed: boolean }> {
    const { socketPath, host, port, token, label } = this.target;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = http.request(
        { method, path: route, headers, agent: false, ...(socketPath ? { socketPath } : { host, port }) },
        (response) => {
          answered = true;
          const status = response.statusCode ?? 0;
          const streamed = onStream !== undefined && (response.headers['content-type'] ?? '').includes(PROGRESS_STREAM);
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (!streamed) text += chunk;
            else {
              try {
                onStream(chunk);
              } catch (error) {
                reject(
                  new SidecarError(`the sidecar at ${label} streamed a line that is not JSON`, {
                    detail: String(error),
                    fix: `check that ${SIDECAR_ENV} points at linkswitch serve`,
                  }),
                );
                request.destroy();
              }
            }
          });
          response.on('error', (error) => reject(this.lost(route, error)));
          response.on('end', () => resolve({ status, text, streamed }));
          // Cut before its end (the sidecar stopped, the network went): a settled promise ignores it.
          response.on('close', () => {
            if (!response.complete) reject(this.lost(route, new Error('the answer was cut off')));
          });
        },
      );
      // Idle time: a followed verb's lines keep its connection alive.
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
  log?: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<VerbTarget> {
  const explicit = sidecarFromEnv(env);
  if (explicit) return { sidecar: announce(new SidecarClient(explicit), verb, log) };
  const settings = await loadSettings(options, env);
  const socketPath = controlSocketPath(settings);
  if (!existsSync(socketPath)) return { settings };
  const client = new SidecarClient({ label: `unix:${socketPath}`, socketPath });
  try {
    await client.health(2_000);
  } catch {
    return { settings };
  }
  return { sidecar: announce(client, verb, log) };
}

/** `log`: the command's logger, which a person's step view keeps quiet (cli/reporter.ts). */
function announce(client: SidecarClient, verb: string, log = createLogger()): SidecarClient {
  log.info({ sidecar: client.target.label, command: verb }, 'Running in the sidecar');
  return client;
}
