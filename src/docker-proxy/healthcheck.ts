import http from 'node:http';
import { DEFAULT_PROXY_SOCKET } from './socket.js';

// The docker-proxy container's HEALTHCHECK (docker-compose.yml): healthy when the engine answers
// a ping through the proxy, which is what the sidecar needs before it starts.

const socketPath = process.argv[2] ?? DEFAULT_PROXY_SOCKET;
const ok = await new Promise<boolean>((resolve) => {
  const request = http.get({ socketPath, path: '/_ping', timeout: 2_000 }, (response) => {
    response.resume();
    resolve(response.statusCode === 200);
  });
  request.on('timeout', () => request.destroy());
  request.on('error', () => resolve(false));
});
process.exitCode = ok ? 0 : 1;
