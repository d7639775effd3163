import tls from 'node:tls';
import { testTarget } from './fakes.js';

// A stream of new TLS connections to 127.0.0.1, one after the other, each offering the session
// the previous one received (TLS 1.3 tickets): one GET with `Connection: close` per connection,
// recording whether the server resumed the session or made it pay a full handshake. HAProxy's
// ticket keys and session cache live in its worker, so a reload makes the next handshake full.

export interface Handshake {
  at: number;
  resumed: boolean;
  status: number;
  error: string | null;
}

export interface TlsStream {
  handshakes: Handshake[];
  /** The last session (ticket) the server gave, to offer from another stream. */
  session(): Buffer | undefined;
  stop(): Promise<Handshake[]>;
}

function handshakeOnce(
  port: number,
  options: { ca: string; servername: string },
  session: Buffer | undefined,
  onSession: (s: Buffer) => void,
): Promise<Handshake> {
  return new Promise((resolve) => {
    const at = performance.now();
    let answer = '';
    let resumed = false;
    const socket = tls.connect({ host: testTarget('127.0.0.1'), port, ...options, session, timeout: 10_000 }, () => {
      resumed = socket.isSessionReused();
      socket.write(`GET / HTTP/1.1\r\nHost: ${options.servername}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('session', onSession);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ at, resumed, status: 0, error: error.code ?? error.message }),
    );
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      resolve({ at, resumed, status, error: status >= 200 && status < 500 ? null : `status ${status}` });
    });
  });
}

/** Bounded by `maxDurationMs` and `maxConnections`; `pauseMs` between connections. */
export function startTlsStream({
  port,
  ca,
  servername,
  pauseMs = 20,
  maxDurationMs = 200_000,
  maxConnections = 20_000,
  session: offered,
}: {
  port: number;
  ca: string;
  servername: string;
  pauseMs?: number;
  maxDurationMs?: number;
  maxConnections?: number;
  /** The session the first connection offers. */
  session?: Buffer;
}): TlsStream {
  const handshakes: Handshake[] = [];
  const deadline = performance.now() + maxDurationMs;
  let stopping = false;
  let session = offered;
  const loop = (async () => {
    while (!stopping && performance.now() < deadline && handshakes.length < maxConnections) {
      handshakes.push(await handshakeOnce(port, { ca, servername }, session, (s) => (session = s)));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    handshakes,
    session: () => session,
    async stop() {
      stopping = true;
      await loop;
      return handshakes;
    },
  };
}
