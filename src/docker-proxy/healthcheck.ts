import { answersOk } from '../adapters/socket-probe.js';
import { DEFAULT_PROXY_SOCKET } from './socket.js';

// The docker-proxy container's HEALTHCHECK (docker-compose.yml): healthy when the engine answers
// a ping through the proxy, which is what the sidecar needs before it starts.

process.exitCode = (await answersOk(process.argv[2] ?? DEFAULT_PROXY_SOCKET, '/_ping')) ? 0 : 1;
