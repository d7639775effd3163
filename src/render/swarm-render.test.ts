import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderSwarmConfig, swarmService as service, swarmYaml } from '../../test/support/swarm-config.js';
import { containerLayout } from '../app/engine.js';
import { parseConfig } from '../config/load.js';
import { buildHaproxyContext } from '../core/haproxy-context.js';
import { planDeploy } from '../core/plan.js';
import { initialState } from '../core/state.js';
import { renderHaproxyConfig } from './renderer.js';

// The Swarm engine's haproxy.cfg: a resolvers section, a server-template per colour, the
// server-state file; and the container engine's output unchanged (no engine key).

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

describe('Swarm engine config and haproxy.cfg', () => {
  it('parses the engine block with defaults', () => {
    const config = parseConfig(swarmYaml, '/srv/linkswitch.yml');
    expect(config.engine).toEqual({
      kind: 'swarm',
      network: 'appnet',
      replicas: 3,
      constraints: [],
      update: { parallelism: 1, delay: 0, order: 'start-first', failureAction: 'pause' },
      nameserver: '127.0.0.11:53',
    });
    expect(parseConfig('service:\n  name: shop\n  image: app:1\n  port: 8080\n', '/srv/l.yml').engine).toBeUndefined();
    expect(() =>
      parseConfig(
        `${swarmYaml.replace('replicas: 3', 'replicas: 3\n  constraints: ["node.role==manager\\nx"]')}`,
        '/srv/l.yml',
      ),
    ).toThrow(/engine.constraints/);
  });

  it('renders resolvers, a server-template per colour and the server-state file', async () => {
    const text = await renderSwarmConfig();
    expect(text).toContain('resolvers docker\n    nameserver dns 127.0.0.11:53\n');
    expect(text).toContain(
      '    server-template blue 6 tasks.shop-blue:8080 weight 100 resolvers docker init-addr last,none\n',
    );
    expect(text).toContain(
      '    server-template green 6 tasks.shop-green:8080 weight 0 resolvers docker init-addr last,none\n',
    );
    expect(text).toContain('    server-state-file /srv/run/servers.state\n');
    expect(text).toContain('    load-server-state-from-file global\n');
  });

  it('the container engine renders plain server lines and no resolvers', async () => {
    const config = parseConfig('service:\n  name: shop\n  image: app:1\n  port: 8080\n', '/srv/linkswitch.yml');
    const context = buildHaproxyContext(config, 'blue', { blue: service('blue'), green: null });
    const text = await renderHaproxyConfig(TEMPLATES, context);
    expect(text).not.toMatch(/resolvers|server-template|server-state/);
    expect(text).toContain('    server blue tasks.shop-blue:8080 weight 100\n');
  });

  it('the container engine’s layout loads the carried server state beside haproxy.cfg', async () => {
    const yaml = 'service:\n  name: shop\n  image: app:1\n  port: 8080\nhaproxy:\n  configFile: /srv/run/haproxy.cfg\n';
    const config = parseConfig(yaml, '/srv/linkswitch.yml');
    const layout = containerLayout(config);
    const context = buildHaproxyContext(config, 'blue', { blue: service('blue'), green: null }, layout);
    const text = await renderHaproxyConfig(TEMPLATES, context);
    expect(text).toContain('    server-state-file /srv/run/servers.state\n');
    expect(text).toContain('    load-server-state-from-file global\n');
    expect(text).not.toMatch(/resolvers|server-template/);
  });

  it('a deploy updates an existing service in place instead of removing it first', () => {
    const state = {
      ...initialState('shop'),
      colours: {
        blue: { image: 'app:1', container: 'shop-blue', deployedAt: 'x' },
        green: { image: 'app:1', container: 'shop-green', deployedAt: 'x' },
      },
    };
    const observed = { blue: service('blue'), green: service('green') };
    const kinds = (inPlace: boolean) =>
      planDeploy({ state, observed, image: 'app:2', haproxyRunning: true, inPlace }).map((s) => s.kind);
    expect(kinds(false)).toContain('remove-container');
    expect(kinds(true)).not.toContain('remove-container');
    expect(kinds(true)).toContain('run-container');
  });
});
