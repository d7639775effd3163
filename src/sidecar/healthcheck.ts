import http from 'node:http';
import { configPath, loadConfig } from '../config/load.js';
import { controlSocketPath, ROUTES } from './protocol.js';

// The sidecar image's Docker HEALTHCHECK: healthy when `linkswitch serve` answers on its control
// socket and haproxy.cfg exists, which is what the haproxy service waits for before it starts.

const config = await loadConfig(configPath(undefined));
const ok = await new Promise<boolean>((resolve) => {
  const request = http.get(
    { socketPath: controlSocketPath(config), path: ROUTES.health, timeout: 2_000 },
    (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    },
  );
  request.on('timeout', () => request.destroy());
  request.on('error', () => resolve(false));
});
process.exitCode = ok ? 0 : 1;
