import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseConfig } from './load.js';
import { composeServiceFacts, DEFAULT_INIT_BIND, starterConfig } from './starter-config.js';

const base = { name: 'web', image: 'myapp:1.0', port: 3000, bind: DEFAULT_INIT_BIND, schemaPath: 'x.json' };

describe('linkswitch init: the starting config', () => {
  it('is a few lines that load as they are, naming the schema for editors', () => {
    const text = starterConfig(base);
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=x.json');
    const settings = parseConfig(text, '/srv/app/linkswitch.yml');
    expect(settings.service).toMatchObject({ name: 'web', image: 'myapp:1.0', port: 3000 });
    expect(settings.haproxy.bind).toBe('0.0.0.0:80');
    expect(settings.deprecations).toEqual([]);
  });

  it('takes the container from a compose service instead of an image', () => {
    const text = starterConfig({ ...base, image: undefined, compose: { file: 'docker-compose.yml', service: 'shop' } });
    expect(text).toContain('  compose: { file: "docker-compose.yml", service: "shop" }\n');
    expect(text).not.toContain('image:');
  });

  it('refuses a bad value with the flag that carried it, before anything is written', () => {
    expect(() => starterConfig({ ...base, name: 'Web App' })).toThrow(/init: invalid --name/);
    expect(() => starterConfig({ ...base, port: 70000 })).toThrow(/init: invalid --port/);
    expect(() => starterConfig({ ...base, bind: 'everywhere' })).toThrow(/init: invalid --bind/);
    expect(() => starterConfig({ ...base, image: 'a b' })).toThrow(/init: invalid --image/);
    expect(() => starterConfig({ ...base, image: undefined })).toThrow(ConfigError);
  });

  it('reads the port and the keys linkswitch refuses from a compose service', () => {
    const compose =
      'services:\n  web: { image: a, ports: ["127.0.0.1:8080:3000/tcp"] }\n  api: { image: b, expose: ["9000"] }\n';
    const web = composeServiceFacts(compose, 'c.yml', 'web');
    expect(web.port).toBe(3000);
    expect(web.problems).toEqual([expect.stringMatching(/^web publishes ports: .*override file/)]);
    expect(composeServiceFacts(compose, 'c.yml', 'api')).toEqual({ port: 9000, problems: [] });
    expect(() => composeServiceFacts(compose, 'c.yml', 'db')).toThrow(
      expect.objectContaining({ message: 'init: c.yml has no service "db"', fix: 'name one of: web, api' }),
    );
  });
});
