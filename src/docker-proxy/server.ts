import { chmod, mkdir, unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { getJson } from '../adapters/docker-http.js';
import { LinkswitchError } from '../core/errors.js';
import {
  type Allowance,
  connectTarget,
  containerCreateProblem,
  ownedByLinkswitch,
  serviceSpecProblem,
} from './create-check.js';
import { decideRoute, type RouteDecision, unversioned } from './routes.js';

// `linkswitch docker-proxy`: the sidecar's only way to the Docker engine. It listens on a unix
// socket (mode 600) and passes a request to the engine's socket when routes.ts allows it and,
// for a create or an update, when create-check.ts finds the body asks only for what the config
// does. Answers stream through untouched (events, attach, logs). A refusal is a 403 with
// Docker's own error shape ({"message": …}), so the sidecar's error names the call and the reason.

/** Create bodies are a page of JSON; a bigger one is not linkswitch's. */
const MAX_BODY_BYTES = 1024 * 1024;

export class DockerProxyError extends LinkswitchError {}

export interface DockerProxyOptions {
  /** The unix socket to listen on (its directory is created, mode 700, or 750 with groupAccess). */
  listen: string;
  /**
   * Mode 660 instead of 600: the proxy runs as root in the sidecar's group, so its socket belongs
   * to root (its own HEALTHCHECK, without capabilities, can connect) and to that group (the
   * non-root sidecar), and to no one else.
   */
  groupAccess?: boolean;
  /** The engine's unix socket. */
  upstream: string;
  /** What the config asks for, read again for every create (the config may have changed). */
  allowance: () => Promise<Allowance>;
  log: Logger;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Refused(413, `a request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new Refused(400, 'a body that is not JSON');
  }
}

export async function startDockerProxy(options: DockerProxyOptions): Promise<{ close(): Promise<void> }> {
  const { upstream, log } = options;

  /** Passes when the engine does not know `what` (it answers the 404 itself) or it is linkswitch's. */
  const requireOwned = async (kind: 'containers' | 'services', id: string) => {
    const where =
      kind === 'containers' ? `/containers/${encodeURIComponent(id)}/json` : `/services/${encodeURIComponent(id)}`;
    const inspect = await getJson(upstream, where);
    if (inspect.status === 404) return;
    if (inspect.status !== 200) throw new Refused(502, `the engine answered ${inspect.status} to an inspect of ${id}`);
    if (!ownedByLinkswitch(JSON.parse(inspect.body)))
      throw new Refused(403, `${id} is not a linkswitch ${kind === 'containers' ? 'container' : 'service'}`);
  };

  /** The checked body to forward, or null to stream the request as it comes. */
  const check = async (decision: RouteDecision, request: http.IncomingMessage): Promise<Buffer | null> => {
    switch (decision.kind) {
      case 'pass':
        return null;
      case 'refuse':
        throw new Refused(403, decision.reason);
      case 'own-container':
        await requireOwned('containers', decision.id);
        return null;
      case 'own-service':
        await requireOwned('services', decision.id);
        return null;
    }
    const body = await readBody(request);
    const json = parseJson(body);
    let problem: string | null = null;
    if (decision.kind === 'container-create') problem = containerCreateProblem(json, await options.allowance());
    if (decision.kind === 'service-create') problem = serviceSpecProblem(json, await options.allowance());
    if (decision.kind === 'service-update') {
      await requireOwned('services', decision.id);
      problem = serviceSpecProblem(json, await options.allowance());
    }
    if (decision.kind === 'network-connect') {
      const target = connectTarget(json);
      if (target === null) problem = 'a connect without a container';
      else await requireOwned('containers', target);
    }
    if (problem !== null) throw new Refused(403, problem);
    return body;
  };

  const forward = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer | null) => {
    const headers = { ...request.headers };
    if (body !== null) {
      delete headers['transfer-encoding'];
      headers['content-length'] = String(body.length);
    }
    const outgoing = http.request(
      { socketPath: upstream, method: request.method, path: request.url, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        // At once, not with the first body byte: an attach or an events stream may say nothing
        // for a long time, and its caller waits for the headers (a one-off starts its container
        // only once attached).
        response.flushHeaders();
        answer.pipe(response);
      },
    );
    outgoing.on('error', (error) => {
      if (!response.headersSent) send(response, 502, `the Docker engine did not answer: ${error.message}`);
      else response.destroy();
    });
    // A client that goes away (an events stream closed) ends the engine's side too.
    response.on('close', () => outgoing.destroy());
    if (body === null) request.pipe(outgoing);
    else outgoing.end(body);
  };

  const server = http.createServer((request, response) => {
    const method = request.method ?? 'GET';
    const decision = decideRoute(method, request.url ?? '/');
    check(decision, request).then(
      (body) => forward(request, response, body),
      (error: unknown) => {
        const status = error instanceof Refused ? error.status : 502;
        const reason = error instanceof Error ? error.message : String(error);
        const call = `${method} ${unversioned((request.url ?? '/').split('?')[0] ?? '/')}`;
        log.warn({ call, status, reason }, 'Docker call refused');
        send(response, status, `linkswitch docker-proxy refused ${call}: ${reason}`);
      },
    );
  });
  // exec and a hijacked attach upgrade the connection to a raw stream: never passed.
  server.on('upgrade', (request, socket) => {
    log.warn({ call: `${request.method} ${request.url}` }, 'Docker call refused (connection upgrade)');
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });

  await mkdir(path.dirname(options.listen), { recursive: true, mode: options.groupAccess ? 0o750 : 0o700 });
  await unlink(options.listen).catch(() => undefined); // left by a run that was killed
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DockerProxyError(`the Docker proxy cannot listen on ${options.listen} (${error.code ?? error.message})`, {
          fix: 'check the directory and its permissions, and that no other proxy runs there',
          cause: error,
        }),
      ),
    );
    server.listen(options.listen, () => resolve());
  });
  const mode = options.groupAccess ? 0o660 : 0o600;
  await chmod(options.listen, mode);
  log.info({ socket: options.listen, mode: mode.toString(8), upstream }, 'Docker proxy listening');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message }));
}
