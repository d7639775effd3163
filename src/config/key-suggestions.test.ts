import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { docsPageFor, knownKeysAt, nearestKey } from './key-suggestions.js';
import { parseConfig } from './load.js';
import { configSchema } from './schema.js';

describe('unknown keys: the nearest valid one and the docs page', () => {
  it('finds the keys of an object anywhere in the schema (records, unions, lazy Compose keys)', () => {
    expect(knownKeysAt(configSchema, ['service'])).toEqual(
      expect.arrayContaining(['name', 'environment', 'healthcheck']),
    );
    expect(knownKeysAt(configSchema, ['services', 'web'])).toEqual(expect.arrayContaining(['routes', 'port']));
    expect(knownKeysAt(configSchema, ['haproxy', 'tls'])).toEqual(expect.arrayContaining(['certificates', 'redirect']));
    expect(knownKeysAt(configSchema, ['engine'])).toEqual(expect.arrayContaining(['kind', 'replicas']));
    expect(knownKeysAt(configSchema, ['no', 'such'])).toEqual([]);
  });

  it('suggests only what is near enough to be a typo, never a deprecated name', () => {
    const known = ['environment', 'env', 'port', 'stop_grace_period', 'path'];
    expect(nearestKey('enviroment', known)).toBe('environment');
    expect(nearestKey('Environment', known)).toBe('environment');
    expect(nearestKey('stop_grace_perod', known)).toBe('stop_grace_period');
    expect(nearestKey('pth', known)).toBe('path');
    expect(nearestKey('xyz', known)).toBeNull();
    expect(nearestKey('envv', ['env'])).toBeNull();
  });

  it('names the page of the section', () => {
    expect(docsPageFor(['haproxy', 'tls'])).toBe('docs/https.md');
    expect(docsPageFor(['services', 'web', 'canary'])).toBe('docs/progressive-delivery.md');
    expect(docsPageFor(['service'])).toBe('docs/containers.md');
    expect(docsPageFor(['engine'])).toBe('docs/swarm.md');
    expect(docsPageFor([])).toBe('docs/configuration.md');
  });

  it('the config error carries both', () => {
    const config = 'service:\n  name: web\n  image: a:1\n  port: 80\n  enviroment: { A: b }\n';
    expect(() => parseConfig(config, '/srv/linkswitch.yml')).toThrow(ConfigError);
    expect(() => parseConfig(config, '/srv/linkswitch.yml')).toThrow(
      "service: Unrecognized key(s) in object: 'enviroment' (did you mean environment for enviroment? see docs/containers.md)",
    );
  });
});
