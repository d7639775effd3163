import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { deprecatedKeys, deprecationMessage } from './deprecated-keys.js';
import { parseConfig } from './load.js';
import { migrateConfigText } from './migrate.js';

const OLD = `# my service
service:
  name: web
  image: myapp:1.0
  port: 8080
  env: # what both colours get
    A: "1"
  pull: never   # never pull
  stopTimeout: 15
  memory: 256m
  canary: { steps: [1, 10] }
`;

describe('deprecated keys', () => {
  it('names each old key of every service entry, with the current name and the fix', () => {
    const data = {
      service: { env: {}, memory: '1m' },
      services: { api: { stopTimeout: 1, environment: {} }, web: { pull: 'never' } },
    };
    expect(deprecatedKeys(data).map(deprecationMessage)).toEqual([
      'service.env is deprecated and will be removed in the next release: use environment (`linkswitch config migrate` rewrites the file)',
      'service.memory is deprecated and will be removed in the next release: use mem_limit (`linkswitch config migrate` rewrites the file)',
      'services.api.stopTimeout is deprecated and will be removed in the next release: use stop_grace_period (`linkswitch config migrate` rewrites the file)',
      'services.web.pull is deprecated and will be removed in the next release: use pull_policy (`linkswitch config migrate` rewrites the file)',
    ]);
    expect(deprecatedKeys({ service: { environment: {} } })).toEqual([]);
  });

  it('the loaded settings carry them, and the old keys still work', () => {
    const settings = parseConfig(OLD, '/srv/linkswitch.yml');
    expect(settings.deprecations).toHaveLength(4);
    expect(settings.service.env).toEqual({ A: '1' });
    expect(settings.service.stopTimeout).toBe(15);
  });
});

describe('migrateConfigText', () => {
  it('renames the keys in place: comments, order and formatting stay byte for byte', () => {
    const { text, changes } = migrateConfigText(OLD, 'linkswitch.yml');
    expect(text).toBe(`# my service
service:
  name: web
  image: myapp:1.0
  port: 8080
  environment: # what both colours get
    A: "1"
  pull_policy: never   # never pull
  stop_grace_period: 15s
  mem_limit: 256m
  canary: { steps: [1, 10] }
`);
    expect(changes).toEqual([
      'service.env → service.environment',
      'service.pull → service.pull_policy',
      'service.stopTimeout → service.stop_grace_period',
      'service.memory → service.mem_limit',
    ]);
    // The same container, now without a warning.
    const before = parseConfig(OLD, '/srv/linkswitch.yml');
    const after = parseConfig(text, '/srv/linkswitch.yml');
    expect(after.deprecations).toEqual([]);
    // mem_limit is read into bytes; Docker gets the same number from either.
    expect({ ...after.service, memory: null }).toEqual({ ...before.service, memory: null });
    expect([before.service.memory, after.service.memory]).toEqual(['256m', String(256 * 1024 * 1024)]);
  });

  it('migrates every entry of services:', () => {
    const { text, changes } = migrateConfigText(
      'services:\n  web: { image: a:1, port: 80, routes: [a.test], env: { A: b } }\n  api:\n    image: b:1\n    port: 81\n    routes: [b.test]\n    memory: 1g\n',
      'f.yml',
    );
    expect(changes).toEqual([
      'services.web.env → services.web.environment',
      'services.api.memory → services.api.mem_limit',
    ]);
    expect(text).toContain('web: { image: a:1, port: 80, routes: [a.test], environment: { A: b } }');
    expect(text).toContain('    mem_limit: 1g\n');
  });

  it('leaves a current config as it is', () => {
    const current = 'service:\n  name: web\n  image: a:1\n  port: 80\n  environment: { A: b }\n';
    expect(migrateConfigText(current, 'f.yml')).toEqual({ text: current, changes: [] });
  });

  it('refuses, changing nothing: both names of a pair, malformed YAML, an otherwise invalid config', () => {
    expect(() => migrateConfigText(`${OLD}  environment: { B: c }\n`, 'f.yml')).toThrow(
      /service sets both env and environment/,
    );
    expect(() => migrateConfigText('service: [unclosed\n', 'f.yml')).toThrow(ConfigError);
    expect(() => migrateConfigText(OLD.replace('port: 8080', 'port: eighty'), 'f.yml')).toThrow(
      /migrated config would not be valid \(service.port/,
    );
  });
});
