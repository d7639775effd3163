import { describe, expect, it } from 'vitest';
import { swarmYaml } from '../../test/support/swarm-config.js';
import { parseConfig } from '../config/load.js';
import type { SwarmSettings } from '../core/settings.js';
import { serviceSpec } from './swarm-spec.js';

describe('serviceSpec', () => {
  const config = parseConfig(
    swarmYaml.replace('  replicas: 3\n', '  replicas: 3\n  constraints: ["node.role==worker"]\n'),
    '/srv/linkswitch.yml',
  );
  const engine = config.engine as SwarmSettings;

  it("is the colour's replicated service on the overlay network, found by DNS round-robin", () => {
    const spec = serviceSpec(config, engine, {
      colour: 'green',
      image: 'app:2',
      replicas: 3,
      forceUpdate: 4,
      generation: 7,
    });
    expect(spec.Name).toBe('shop-green');
    expect(spec.Labels).toMatchObject({
      'linkswitch.service': 'shop',
      'linkswitch.colour': 'green',
      'linkswitch.generation': '7',
    });
    expect((spec.TaskTemplate as { ContainerSpec?: object }).ContainerSpec).toMatchObject({
      Image: 'app:2',
      Labels: spec.Labels,
    });
    expect(spec.TaskTemplate?.Networks).toEqual([{ Target: 'appnet' }]);
    expect(spec.TaskTemplate?.Placement).toEqual({ Constraints: ['node.role==worker'] });
    expect(spec.TaskTemplate?.ForceUpdate).toBe(4);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    // Swarm counts durations in nanoseconds.
    expect(spec.UpdateConfig?.Monitor).toBe(1_000_000_000);
    expect(spec.UpdateConfig?.Delay).toBe(engine.update.delay * 1_000_000);
  });

  it('carries no generation label before the colour has one', () => {
    const spec = serviceSpec(config, engine, { colour: 'blue', image: 'app:1', replicas: 0, forceUpdate: 0 });
    expect(spec.Labels).not.toHaveProperty('linkswitch.generation');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 0 } });
  });
});
