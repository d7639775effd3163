import net from 'node:net';
import { HaproxyConfigError } from '../core/errors.js';

// `haproxy -c` does not bind ports, so a config whose `bind` address is taken passes it and
// fails only at reload. On HAProxy 2.6 such a failed reload can leave the running worker with
// its listeners paused (new connections refused until the next good reload), so we refuse
// the config before the reload by trying each address the live config does not bind already.

/** TCP addresses (host, port) of the `bind` lines in a config; unix sockets and IPv6 are skipped. */
export function tcpBinds(configText: string): Array<{ host: string; port: number }> {
  const binds: Array<{ host: string; port: number }> = [];
  for (const line of configText.split('\n')) {
    const match = /^\s*bind\s+(\*|[\d.]*)?:(\d{1,5})(?:\s|$)/.exec(line);
    if (!match) continue;
    const host = !match[1] || match[1] === '*' ? '0.0.0.0' : match[1];
    binds.push({ host, port: Number(match[2]) });
  }
  return binds;
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** Throws HaproxyConfigError when a bind address new to this config cannot be bound. */
export async function checkNewBinds(configText: string, liveText: string | null): Promise<void> {
  const live = new Set(tcpBinds(liveText ?? '').map((b) => `${b.host}:${b.port}`));
  for (const { host, port } of tcpBinds(configText)) {
    if (live.has(`${host}:${port}`)) continue;
    const error = await tryBind(host, port);
    if (error) {
      throw new HaproxyConfigError(`HAProxy could not bind ${host}:${port} (${error.code ?? error.message})`, {
        fix:
          error.code === 'EADDRINUSE'
            ? 'free that port or choose another haproxy.bind; HAProxy and haproxy.cfg were not changed'
            : 'check the address and your privileges; HAProxy and haproxy.cfg were not changed',
      });
    }
  }
}

/**
 * False when a TCP bind of the config refuses connections (a listener lost by a failed
 * reload). Addresses we cannot judge from here (timeouts, other network namespaces) count as
 * accepting: this only decides whether one more recovery reload is worth it.
 */
export async function bindsAccepting(configText: string): Promise<boolean> {
  for (const { host, port } of tcpBinds(configText)) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.createConnection({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port, timeout: 500 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return false;
  }
  return true;
}
