import type { Colour } from '../../src/core/colour.js';
import type { Step } from '../../src/core/plan.js';
import type { ObservedContainer, ServerView } from '../../src/core/ports.js';
import { initialState, type State } from '../../src/core/state.js';
import { observedContainer } from './fakes.js';

// Builders the planner's tests share (plan-*.test.ts beside src/core/plan.ts).

export function container(colour: Colour, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return observedContainer(colour, over);
}

export function server(colour: Colour, over: Partial<ServerView> = {}): ServerView {
  return {
    colour,
    status: 'UP',
    weight: colour === 'blue' ? 100 : 0,
    address: '127.0.0.1:1',
    sessions: 0,
    checkStatus: 'L7OK',
    ...over,
  };
}

export const task = (address: string) => ({
  id: address,
  node: 'node-1',
  state: 'running',
  image: 'app:1',
  error: null,
  address,
});

export const record = (image: string, colour: Colour) => ({
  image,
  container: `web-${colour}`,
  deployedAt: '2025-01-01T00:00:00.000Z',
});

export function state(linked: Colour = 'blue', over: Partial<State> = {}): State {
  return {
    ...initialState('web'),
    linked,
    generation: 4,
    lastSwitchAt: '2025-01-01T00:00:00.000Z',
    colours: { blue: record('app:1', 'blue'), green: record('app:0', 'green') },
    ...over,
  };
}

export const kinds = (steps: Step[]) => steps.map((s) => s.kind);
export const indexOf = (steps: Step[], kind: Step['kind']) => steps.findIndex((s) => s.kind === kind);
export const lastIndexOf = (steps: Step[], kind: Step['kind']) => steps.map((s) => s.kind).lastIndexOf(kind);
