import http from 'node:http';
import type { HttpProbe } from '../core/ports.js';

/** One GET with its own connection (no keep-alive): a probe must not reuse a stale socket. */
export const httpProbe: HttpProbe = {
  probe(host, port, path, timeoutMs) {
    return new Promise((resolve) => {
      const request = http.get(
        { host, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'linkswitch-health' } },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, detail: error.code ?? error.message }),
      );
    });
  },
};
