import { describe, expect, it } from 'vitest';
import { StateError } from './errors.js';
import { initialState, parseState, STATE_VERSION, type State, serializeState, withLinked } from './state.js';

const FILE = '/srv/app/run/state.json';

function sample(): State {
  return {
    version: 1,
    service: 'web',
    linked: 'green',
    generation: 7,
    lastSwitchAt: '2025-03-01T10:00:00.000Z',
    colours: {
      blue: { image: 'app:1', container: 'web-blue', deployedAt: '2025-02-01T10:00:00.000Z' },
      green: { image: 'app:2', container: 'web-green', deployedAt: '2025-03-01T09:59:00.000Z' },
    },
    pending: null,
  };
}

function stateError(text: string, service = 'web'): StateError {
  try {
    parseState(text, FILE, service);
  } catch (error) {
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toContain(FILE);
    return error as StateError;
  }
  return expect.unreachable('expected a StateError');
}

// The raw JSON of a state file, mutated freely to produce invalid ones.
// biome-ignore lint/suspicious/noExplicitAny: tests write arbitrary (invalid) shapes on purpose
type Raw = Record<string, any>;

const mutate = (fn: (raw: Raw) => void) => {
  const raw = JSON.parse(JSON.stringify(sample()));
  fn(raw);
  return JSON.stringify(raw);
};

describe('parseState', () => {
  it('accepts what serializeState writes and round-trips it exactly', () => {
    const text = serializeState(sample());
    expect(text.endsWith('\n')).toBe(true);
    expect(parseState(text, FILE, 'web')).toEqual(sample());
    expect(serializeState(parseState(text, FILE, 'web'))).toBe(text);
  });

  it('round-trips a pending deploy and an initial state', () => {
    const pending: State = {
      ...sample(),
      pending: { colour: 'blue', image: 'app:3', startedAt: '2025-03-02T00:00:00.000Z', phase: 'deploying' },
    };
    expect(parseState(serializeState(pending), FILE, 'web')).toEqual(pending);
    expect(parseState(serializeState(initialState('web')), FILE, 'web')).toEqual(initialState('web'));
  });

  it.each(['', 'not json', '{', "{'version': 1}", 'undefined'])('refuses invalid JSON %j', (text) => {
    const error = stateError(text);
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.code).toBe('STATE_INVALID');
    expect(error.exitCode).toBe(3);
  });

  it('refuses a truncated file at every cut point', () => {
    const text = serializeState(sample());
    for (const cut of [1, 10, Math.floor(text.length / 2), text.length - 3]) {
      expect(stateError(text.slice(0, cut)).message).toMatch(/not valid JSON/);
    }
  });

  it.each([
    [2, /unsupported version 2/],
    [0, /unsupported version 0/],
    ['1', /unsupported version "1"/],
  ])('refuses version %j', (version, pattern) => {
    expect(stateError(mutate((raw) => (raw.version = version))).message).toMatch(pattern);
  });

  it('refuses a missing version and non-object JSON', () => {
    expect(stateError(mutate((raw) => delete raw.version)).message).toMatch(/unsupported version/);
    expect(stateError('null').message).toMatch(/unsupported version/);
    expect(stateError('[1]').message).toMatch(/unsupported version/);
  });

  it("refuses an unknown linked colour ('purple') and names the field", () => {
    const error = stateError(mutate((raw) => (raw.linked = 'purple')));
    expect(error.message).toMatch(/invalid: linked:/);
    expect(error.fix).toMatch(/"blue" or "green"/);
  });

  it.each([
    [
      'pending colour',
      (raw: Raw) => (raw.pending = { colour: 'purple', image: 'x', startedAt: 'x', phase: 'x' }),
      /pending\.colour/,
    ],
    ['unknown colour key', (raw: Raw) => (raw.colours.purple = null), /colours/],
    ['unknown top-level key', (raw: Raw) => (raw.extra = true), /Unrecognized key/],
    ['negative generation', (raw: Raw) => (raw.generation = -1), /generation/],
    ['fractional generation', (raw: Raw) => (raw.generation = 1.5), /generation/],
    ['missing colours', (raw: Raw) => delete raw.colours, /colours/],
    ['empty image', (raw: Raw) => (raw.colours.blue.image = ''), /colours\.blue\.image/],
  ])('refuses a state with a bad %s', (_label, fn, pattern) => {
    expect(stateError(mutate(fn)).message).toMatch(pattern);
  });

  it('refuses a state file that belongs to another service', () => {
    const error = stateError(serializeState(sample()), 'api');
    expect(error.message).toMatch(/belongs to service "web", not "api"/);
  });
});

describe('initialState / withLinked', () => {
  it('starts with blue linked, generation 0 and nothing recorded', () => {
    expect(initialState('web')).toEqual({
      version: STATE_VERSION,
      service: 'web',
      linked: 'blue',
      generation: 0,
      lastSwitchAt: null,
      colours: { blue: null, green: null },
      pending: null,
    });
  });

  it('increments the generation, records the switch time and leaves the input untouched', () => {
    const before = sample();
    const at = new Date('2025-04-01T12:00:00.000Z');
    const after = withLinked(before, 'blue', at);
    expect(after.linked).toBe('blue');
    expect(after.generation).toBe(8);
    expect(after.lastSwitchAt).toBe('2025-04-01T12:00:00.000Z');
    expect(after.colours).toEqual(before.colours);
    expect(before).toEqual(sample());
    expect(withLinked(after, 'green', at).generation).toBe(9);
  });
});
