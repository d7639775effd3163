import net from 'node:net';

// Talks to HAProxy's CLI sockets (admin socket and master socket) with node's net: one
// connection per request, the command as a single line. Callers pass only validated values.

export interface SocketRequest {
  path: string;
  command: string;
  timeoutMs: number;
  /** Close our side right after writing and return what arrived (the master's `reload`). */
  fireAndForget?: boolean;
}

export class SocketUnavailableError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: ${code}`);
  }
}

export function sendCommand({ path, command, timeoutMs, fireAndForget = false }: SocketRequest): Promise<string> {
  if (/[\r\n]/.test(command)) return Promise.reject(new Error('refusing a runtime command containing a newline'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.createConnection({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SocketUnavailableError(path, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.end(`${command}\n`);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SocketUnavailableError(path, error.code ?? error.message));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    if (fireAndForget) socket.setTimeout(Math.min(timeoutMs, 2000), () => socket.destroy());
  });
}
