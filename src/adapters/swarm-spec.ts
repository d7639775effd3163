import type Docker from 'dockerode';
import type { Colour } from '../core/colour.js';
import { containerName } from '../core/naming.js';
import type { Settings, SwarmSettings } from '../core/settings.js';
import { swarmTaskOptions } from './container-options.js';
import { LABEL_COLOUR, LABEL_GENERATION, LABEL_SERVICE } from './docker.js';

// The Swarm service of one colour, built from the config alone (swarm.ts creates or updates it).

const NS_PER_MS = 1_000_000;

export interface ColourServiceOptions {
  colour: Colour;
  image: string;
  replicas: number;
  /** Bumped to force fresh tasks on an update with the same spec. */
  forceUpdate: number;
  /** The generation the colour has once linked (absent: not labelled with one). */
  generation?: number | undefined;
  /** Swarm secret IDs by name (swarm-secrets.ts). */
  secretIds?: Record<string, string>;
}

export function serviceSpec(
  config: Settings,
  engine: SwarmSettings,
  { colour, image, replicas, forceUpdate, generation, secretIds = {} }: ColourServiceOptions,
): Docker.ServiceSpec {
  const { service } = config;
  const labels = {
    ...service.labels,
    [LABEL_SERVICE]: service.name,
    [LABEL_COLOUR]: colour,
    ...(generation === undefined ? {} : { [LABEL_GENERATION]: String(generation) }),
  };
  const { container, template } = swarmTaskOptions(service, secretIds);
  const spec = service.container;
  const aliases = [
    ...spec.aliases,
    ...spec.networks.filter((n) => n.name === engine.network).flatMap((n) => n.aliases),
  ];
  return {
    Name: containerName(service.name, colour),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: image, Labels: labels, ...container },
      ...template,
      Placement: { Constraints: engine.constraints },
      Networks: [
        { Target: engine.network, ...(aliases.length ? { Aliases: aliases } : {}) },
        ...spec.networks
          .filter((n) => n.name !== engine.network)
          .map((n) => ({ Target: n.name, ...(n.aliases.length ? { Aliases: n.aliases } : {}) })),
      ],
      ForceUpdate: forceUpdate,
    },
    Mode: { Replicated: { Replicas: replicas } },
    UpdateConfig: {
      Parallelism: engine.update.parallelism,
      Delay: engine.update.delay * NS_PER_MS,
      FailureAction: engine.update.failureAction,
      Order: engine.update.order,
      Monitor: 1_000 * NS_PER_MS,
    },
    // No VIP and no routing mesh: HAProxy resolves the tasks' own IPs (DNS round-robin).
    EndpointSpec: { Mode: 'dnsrr' },
  } as Docker.ServiceSpec;
}
