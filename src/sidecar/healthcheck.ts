import { answersOk } from '../adapters/socket-probe.js';
import { configPath, loadConfig } from '../config/load.js';
import { controlSocketPath, ROUTES } from './protocol.js';

// The sidecar image's Docker HEALTHCHECK: healthy when `linkswitch serve` answers on its control
// socket and haproxy.cfg exists, which is what the haproxy service waits for before it starts.

const config = await loadConfig(configPath(undefined));
process.exitCode = (await answersOk(controlSocketPath(config), ROUTES.health)) ? 0 : 1;
