import { describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import { adoptWorld, type World, weightedInConfig } from './adopt.js';
import type { Colour } from './colour.js';
import { AmbiguousWorldError } from './errors.js';
import type { ObservedContainer, ServerView } from './ports.js';

// Rebuilding a lost state from the running stack: what each kind of world says, and where it
// says nothing certain (refused).

const NOW = new Date('2026-12-01T10:00:00.000Z');
const labelled = (colour: Colour, image: string, generation: number | null, service: string | null = 'web') =>
  observedContainer(colour, { image, owner: { service, generation } });
const server = (colour: Colour, weight: number): ServerView => ({
  colour,
  status: 'UP',
  weight,
  address: '127.0.0.1:1',
  sessions: 0,
  checkStatus: 'L7OK',
});
const config = (blue: number, green: number) =>
  [
    'frontend fe_web',
    '    default_backend be_web',
    'backend be_web',
    `    server blue 127.0.0.1:32001 weight ${blue}`,
    `    server green 127.0.0.1:32002 weight ${green}  # resolves to 10.0.0.2`,
    'backend be_other',
    '    server blue 127.0.0.1:9 weight 100',
    '',
  ].join('\n');

function world(over: Partial<World>): World {
  const observed: Record<Colour, ObservedContainer | null> = {
    blue: labelled('blue', 'app:1', 3),
    green: labelled('green', 'app:2', 4),
  };
  return { service: 'web', observed, servers: null, liveConfig: null, backend: 'be_web', now: NOW, ...over };
}

const refusal = (w: World) => {
  try {
    adoptWorld(w);
  } catch (error) {
    expect(error).toBeInstanceOf(AmbiguousWorldError);
    return (error as AmbiguousWorldError).message;
  }
  return expect.unreachable('expected AmbiguousWorldError');
};

describe('weightedInConfig', () => {
  it("reads the weights of the service's backend only, servers and server-templates", () => {
    expect(weightedInConfig(config(0, 100), 'be_web')).toEqual(['green']);
    expect(weightedInConfig(config(100, 100), 'be_web')).toEqual(['blue', 'green']);
    expect(weightedInConfig(config(0, 0), 'be_web')).toEqual([]);
    expect(weightedInConfig(config(0, 100), 'be_other')).toEqual(['blue']);
    const swarm = 'backend be_web\n    server-template green 4 tasks.web-green:8080 weight 100 resolvers docker\n';
    expect(weightedInConfig(swarm, 'be_web')).toEqual(['green']);
  });
});

describe('adoptWorld', () => {
  it('nothing running and no HAProxy: a fresh stack, as before', () => {
    expect(adoptWorld(world({ observed: { blue: null, green: null } }))).toEqual({ kind: 'fresh' });
  });

  it('HAProxy running: linked is the weighted colour; images from the containers, generation from the label', () => {
    const adoption = adoptWorld(
      world({ servers: [server('blue', 0), server('green', 100)], liveConfig: config(0, 100) }),
    );
    expect(adoption).toMatchObject({
      kind: 'adopted',
      state: {
        service: 'web',
        linked: 'green',
        generation: 4,
        pending: null,
        colours: {
          blue: { image: 'app:1', container: 'web-blue', deployedAt: NOW.toISOString() },
          green: { image: 'app:2', container: 'web-green' },
        },
      },
    });
    expect(adoption.kind === 'adopted' && adoption.summary).toBe(
      "adopted the running stack from HAProxy's live weights: green linked (app:2), generation 4",
    );
  });

  it('HAProxy down: from the live haproxy.cfg; without one, from the only colour container', () => {
    expect(adoptWorld(world({ liveConfig: config(0, 100) }))).toMatchObject({ state: { linked: 'green' } });
    const onlyBlue = world({ observed: { blue: labelled('blue', 'app:1', null), green: null } });
    expect(adoptWorld(onlyBlue)).toMatchObject({ state: { linked: 'blue', generation: 1 } });
  });

  it.each([
    [
      'both colours weighted in HAProxy',
      { servers: [server('blue', 100), server('green', 100)] },
      /both colours weight/,
    ],
    ['neither colour weighted', { servers: [server('blue', 0), server('green', 0)] }, /neither colour/],
    ['HAProxy without the backend', { servers: [] }, /another stack/],
    [
      'HAProxy and its config disagree',
      { servers: [server('blue', 100), server('green', 0)], liveConfig: config(0, 100) },
      /disagree|gives weight to green/,
    ],
    ['both weighted in the config, HAProxy down', { liveConfig: config(100, 100) }, /both colours weight/],
    ['HAProxy down, no config, both containers', {}, /both colour containers exist/],
  ])('refuses when %s', (_what, over, message) => {
    expect(refusal(world(over as Partial<World>))).toMatch(message);
  });

  it("is fresh when HAProxy has the service's backend but nothing of it runs (several services, brought up one by one)", () => {
    const none = { blue: null, green: null };
    const liveConfig = 'frontend fe_http\n    default_backend be_web\nbackend be_web\n';
    expect(adoptWorld(world({ observed: none, servers: [], liveConfig }))).toEqual({ kind: 'fresh' });
    // Its colours are placeholder servers in maintenance at weight 0 (no container yet).
    const placeholders = (['blue', 'green'] as const).map((c) => ({ ...server(c, 0), status: 'MAINT' }));
    expect(adoptWorld(world({ observed: none, servers: placeholders, liveConfig }))).toEqual({ kind: 'fresh' });
    // Without the backend in the live config it is another stack's HAProxy: refused as before.
    const other = world({ observed: none, servers: [], liveConfig: 'backend be_other\n' });
    expect(refusal(other)).toMatch(/another stack/);
  });

  it("refuses containers that carry another service's labels", () => {
    const foreign = world({
      observed: { blue: labelled('blue', 'app:1', 2, 'shop'), green: null },
      servers: [server('blue', 100)],
    });
    expect(refusal(foreign)).toMatch(/labels of service "shop"/);
  });

  it('refuses a linked colour whose container is gone', () => {
    const gone = world({
      observed: { blue: labelled('blue', 'app:1', 1), green: null },
      servers: [server('green', 100)],
    });
    expect(refusal(gone)).toMatch(/green, whose container does not exist/);
  });
});
