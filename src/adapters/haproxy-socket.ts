import net from 'node:net';

// Talks to HAProxy's CLI sockets (admin socket and master socket) with node's net: one
// connection per request, the command as a single line. Callers pass only validated values.

export interface SocketRequest {
  path: string;
  command: string;
  timeoutMs: number;
  /** Close our side right after writing and return what arrived (the master's `reload`). */
  fireAndForget?: boolean;
  /**
   * Lines sent after `command <<` (HAProxy's payload syntax: `set ssl cert`), ended by an empty
   * line. PEM only: base64 lines and BEGIN/END markers, no empty line that would end it early.
   */
  payload?: string;
}

const PEM_LINE = /^(?:[A-Za-z0-9+/=]{1,76}|-----(?:BEGIN|END) [A-Z0-9 ]{1,40}-----)$/;

export class SocketUnavailableError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: ${code}`);
  }
}

export function sendCommand({
  path,
  command,
  timeoutMs,
  fireAndForget = false,
  payload,
}: SocketRequest): Promise<string> {
  if (/[\r\n]/.test(command)) return Promise.reject(new Error('refusing a runtime command containing a newline'));
  const lines = payload?.trim().split('\n');
  if (lines && !lines.every((l) => PEM_LINE.test(l)))
    return Promise.reject(new Error('refusing a runtime payload that is not PEM'));
  const text = lines ? `${command} <<\n${lines.join('\n')}\n\n` : `${command}\n`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.createConnection({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SocketUnavailableError(path, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.end(text);
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
