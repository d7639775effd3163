import http from 'node:http';
import net from 'node:net';
import type { HttpProbe } from '../core/ports.js';

/** One GET with its own connection (no keep-alive): a probe must not reuse a stale socket. */
export const httpProbe: HttpProbe = {
  probe(host, port, path, timeoutMs, expect = { status: 200, hostHeader: null }) {
    return new Promise((resolve) => {
      const headers: Record<string, string> = { 'user-agent': 'linkswitch-health' };
      if (expect.hostHeader) headers.host = expect.hostHeader;
      const request = http.get({ host, port, path, agent: false, timeout: timeoutMs, headers }, (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        // The same rule as HAProxy's `http-check expect status`: exactly that status.
        resolve({ ok: status === expect.status, detail: `HTTP ${status}` });
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, detail: error.code ?? error.message }),
      );
    });
  },
  connect(host, port, timeoutMs) {
    return new Promise((resolve) => {
      const socket = net.connect({ host, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true, detail: 'connected' });
      });
      socket.once('timeout', () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)));
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, detail: error.code ?? error.message }),
      );
    });
  },
};
