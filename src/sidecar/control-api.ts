import { chmod, mkdir, unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CommandResult, StackStatusReport, StatusReport } from '../core/service.js';
import { optional, parseJson, readBody, send, tokenMatches } from './api-request.js';
import { errorBody, httpStatusFor, RequestError, SidecarError, TokenRefusedError } from './errors.js';
import { streamOutcome, wantsProgress } from './progress-stream.js';
import { type DeployRequest, type HealthReport, type ProgressSink, ROUTES, type RollbackRequest } from './protocol.js';
import type { TokenSource } from './token.js';

// The sidecar's control API: JSON over HTTP on a unix socket (mode 600: whoever may use it may
// deploy), and optionally on TCP, where every route but the health check needs the bearer token.

export interface ControlHandlers {
  health(): HealthReport;
  status(): Promise<StatusReport | StackStatusReport>;
  /** `sink`: the client follows the operation (progress-stream.ts). */
  deploy(request: DeployRequest, sink?: ProgressSink): Promise<CommandResult>;
  rollback(request: RollbackRequest, sink?: ProgressSink): Promise<CommandResult>;
  metrics(): string | Promise<string>;
}

/**
 * Bounds for clients that misbehave: a request must arrive whole within `requestMs` (headers
 * within `headersMs`), however slowly it is sent; at most `maxConnections` are open at once.
 * The answer to a deploy may take minutes: only receiving the request is bounded.
 */
export const API_LIMITS = { headersMs: 5_000, requestMs: 10_000, checkEveryMs: 1_000, maxConnections: 64 };

export interface ControlApiOptions {
  socketPath: string;
  /** Tests shorten these; production uses API_LIMITS. */
  limits?: typeof API_LIMITS;
  listen: { host: string; port: number } | null;
  /** The bearer token of the TCP API (src/sidecar/token.ts), checked when the sidecar starts. */
  token: TokenSource | null;
  handlers: ControlHandlers;
  log: Logger;
}

export interface ControlApi {
  /** Stops accepting connections; resolves once the requests in flight have been answered. */
  close(): Promise<void>;
}

function handler(options: ControlApiOptions, requireToken: boolean): http.RequestListener {
  const { handlers, log, token } = options;
  return (request, response) => {
    void (async () => {
      const route = `${request.method} ${new URL(request.url ?? '/', 'http://sidecar').pathname}`;
      try {
        if (route === `GET ${ROUTES.health}`) {
          const health = handlers.health();
          return send(response, health.ok ? 200 : 503, health);
        }
        if (requireToken && (!token || !tokenMatches(request.headers.authorization, token.current()))) {
          log.warn(
            { route, remote: request.socket.remoteAddress },
            'Control API request without a valid token refused',
          );
          throw new TokenRefusedError('the sidecar refused the request: missing or wrong bearer token', {
            fix: 'set LINKSWITCH_TOKEN (or LINKSWITCH_TOKEN_FILE) to the token the sidecar uses',
          });
        }
        switch (route) {
          case `GET ${ROUTES.status}`:
            return send(response, 200, await handlers.status());
          case `GET ${ROUTES.metrics}`:
            return send(response, 200, await handlers.metrics(), 'text/plain; version=0.0.4');
          case `POST ${ROUTES.deploy}`: {
            const body = parseJson(await readBody(request));
            const deploy: DeployRequest = {
              service: optional<string>(body, 'service', 'string'),
              image: optional<string>(body, 'image', 'string'),
              dryRun: optional<boolean>(body, 'dryRun', 'boolean'),
              canary: optional<boolean>(body, 'canary', 'boolean'),
              watchMs: optional<number>(body, 'watchMs', 'number'),
              lockWaitMs: optional<number>(body, 'lockWaitMs', 'number'),
            };
            return await answerVerb(request, response, (sink) => handlers.deploy(deploy, sink));
          }
          case `POST ${ROUTES.rollback}`: {
            const body = parseJson(await readBody(request));
            const rollback: RollbackRequest = {
              service: optional<string>(body, 'service', 'string'),
              dryRun: optional<boolean>(body, 'dryRun', 'boolean'),
              lockWaitMs: optional<number>(body, 'lockWaitMs', 'number'),
            };
            return await answerVerb(request, response, (sink) => handlers.rollback(rollback, sink));
          }
          default:
            return send(
              response,
              404,
              errorBody(
                new RequestError(404, `no such route: ${route}`, { fix: `use ${Object.values(ROUTES).join(', ')}` }),
              ),
            );
        }
      } catch (error) {
        if (error instanceof RequestError && error.status === 413) {
          // The rest of the body is never read: close the connection once the answer is out.
          response.setHeader('connection', 'close');
          response.on('finish', () => request.destroy());
        }
        if (!response.headersSent) send(response, httpStatusFor(error), errorBody(error));
      }
    })();
  };
}

/** A verb's outcome as one JSON answer, or, for a client that follows it, line by line. */
async function answerVerb(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  run: (sink?: ProgressSink) => Promise<CommandResult>,
): Promise<void> {
  if (wantsProgress(request)) return streamOutcome(response, run);
  send(response, 200, await run());
}

function listen(server: http.Server, target: string | { host: string; port: number }): Promise<void> {
  const where = typeof target === 'string' ? target : `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const fix =
        error.code === 'EADDRINUSE'
          ? 'another process listens there: stop it or choose another --listen'
          : 'check the address, the directory and its permissions';
      reject(
        new SidecarError(`the control API cannot listen on ${where} (${error.code ?? error.message})`, {
          fix,
          cause: error,
        }),
      );
    });
    const done = () => {
      server.removeAllListeners('error');
      resolve();
    };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

/** Answers on the socket? Then another `serve` owns this state: refuse to start a second one. */
function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: ROUTES.health, timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

export async function startControlApi(options: ControlApiOptions): Promise<ControlApi> {
  const { socketPath, listen: tcp, token, log } = options;
  if (await socketAnswers(socketPath)) {
    throw new SidecarError(`another linkswitch serve already answers on ${socketPath}`, {
      fix: 'run one sidecar per state file; stop the other one first',
    });
  }
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  await unlink(socketPath).catch(() => undefined); // left by a previous run that was killed
  const servers: http.Server[] = [];
  const limits = options.limits ?? API_LIMITS;
  const create = (requireToken: boolean) => {
    const server = http.createServer(
      {
        headersTimeout: limits.headersMs,
        requestTimeout: limits.requestMs,
        connectionsCheckingInterval: limits.checkEveryMs,
      },
      handler(options, requireToken),
    );
    server.maxConnections = limits.maxConnections;
    return server;
  };
  const unix = create(false);
  await listen(unix, socketPath);
  await chmod(socketPath, 0o600);
  servers.push(unix);
  log.info({ socket: socketPath }, 'Control API listening on the unix socket');
  if (tcp && !token) {
    log.warn(
      { address: `${tcp.host}:${tcp.port}` },
      'LINKSWITCH_TOKEN(_FILE) is not set: the TCP control API stays off (the unix socket still answers)',
    );
  } else if (tcp) {
    const server = create(true);
    await listen(server, tcp);
    servers.push(server);
    log.info({ address: `${tcp.host}:${tcp.port}` }, 'Control API listening on TCP (bearer token required)');
  }
  return {
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections();
            }),
        ),
      );
      await unlink(socketPath).catch(() => undefined);
    },
  };
}
