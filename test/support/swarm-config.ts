import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { swarmLayout } from '../../src/app/engine.js';
import { parseConfig } from '../../src/config/load.js';
import type { Colour } from '../../src/core/colour.js';
import { buildHaproxyContext } from '../../src/core/haproxy-context.js';
import type { Observed } from '../../src/core/plan.js';
import type { ObservedContainer } from '../../src/core/ports.js';
import { renderHaproxyConfig } from '../../src/render/renderer.js';
import { observedContainer } from './fakes.js';

// The example Swarm config the render tests (pure) and the `haproxy -c` test (adapter tier) share.

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

export const swarmYaml =
  'service:\n  name: shop\n  image: app:1\n  port: 8080\nengine:\n  kind: swarm\n  network: appnet\n' +
  '  replicas: 3\nhaproxy:\n  bind: 0.0.0.0:8443\n  configFile: /srv/run/haproxy.cfg\n';

/** A colour's Swarm service as the engine reports it: addressed by its tasks' DNS name. */
export function swarmService(colour: Colour): ObservedContainer {
  return observedContainer(colour, {
    name: `shop-${colour}`,
    address: { host: `tasks.shop-${colour}`, port: 8080 },
    probeAddress: null,
  });
}

/** The Swarm engine's haproxy.cfg for the example config, blue linked. */
export async function renderSwarmConfig(): Promise<string> {
  const config = parseConfig(swarmYaml, '/srv/linkswitch.yml');
  if (config.engine?.kind !== 'swarm') throw new Error('the example config is a Swarm one');
  const observed: Observed = { blue: swarmService('blue'), green: swarmService('green') };
  return renderHaproxyConfig(
    TEMPLATES,
    buildHaproxyContext(config, 'blue', observed, swarmLayout(config, config.engine)),
  );
}
