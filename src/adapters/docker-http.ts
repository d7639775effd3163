import http from 'node:http';
import net from 'node:net';

// One Engine API GET over the unix socket with node's own http: what the hot verbs (`rollback`,
// `status`) need from Docker — a container's inspect — without loading dockerode and its
// dependencies (100 ms of a CLI's start). Anything else, and any answer but 200 or 404, goes
// through dockerode, which owns the error messages.

/** The engine's unix socket, or null when DOCKER_HOST points elsewhere (tcp://, ssh://). */
export function dockerSocket(env: NodeJS.ProcessEnv = process.env): string | null {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : null;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function getJson(socketPath: string, path: string, timeoutMs = 10_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // A connection of its own (no agent): an agent's first request compiles node's IPv6 regex to
    // decide a TLS server name (5 ms of every hot verb's start), which a unix socket never needs.
    const createConnection = () => net.createConnection({ path: socketPath });
    const options = { path, timeout: timeoutMs, headers: { host: 'docker' }, createConnection };
    const request = http.get(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from the Docker engine in ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
