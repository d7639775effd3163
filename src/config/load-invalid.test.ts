import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configError, FILE, MINIMAL } from '../../test/support/config-fixtures.js';
import { loadConfig, parseConfig } from './load.js';

describe('parseConfig: invalid files', () => {
  it.each([
    ['unclosed flow sequence', 'service: [\n'],
    ['bad indentation', 'service:\n  name: web\n    image: x\n'],
    ['duplicate keys', 'service:\n  name: a\n  name: b\n'],
    ['tab indentation', 'service:\n\tname: web\n'],
  ])('refuses malformed YAML (%s) with a ConfigError naming the file', (_label, text) => {
    const error = configError(text);
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(/malformed YAML/);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
  });

  it('lists every problem with its key path in one error', () => {
    const error = configError(`
service:
  name: web
  image: myapp:1
  port: "8080"
  bogus: 1
  env: { 1BAD: x }
health:
  interval: fast
  extra: 2
haproxy:
  retries: -1
  check: { rise: "two" }
network: { mode: overlay }
top: 1
`);
    const problems = [
      /service\.port: Expected number, received string/,
      /service: Unrecognized key\(s\) in object: 'bogus'/,
      /service\.env\.1BAD: invalid environment variable name/,
      /health\.interval: invalid duration "fast"/,
      /health: Unrecognized key\(s\) in object: 'extra'/,
      /haproxy\.retries: Number must be greater than or equal to 0/,
      /haproxy\.check\.rise: Expected number, received string/,
      /network\.mode: /,
      /\(top level\): Unrecognized key\(s\) in object: 'top'/,
    ];
    for (const problem of problems) expect(error.message).toMatch(problem);
    expect(error.message).toContain(`${problems.length} invalid settings`);
  });

  it('reports missing required keys of an empty file', () => {
    const error = configError('');
    expect(error.message).toMatch(/\(top level\)|service/);
    expect(configError('service: {}\n').message).toMatch(/service\.name.*service\.image.*service\.port/s);
  });

  it.each(['10 minutes', '-5s', '1d', 'soon', '5 s s'])('refuses the duration %j with its key path', (value) => {
    expect(configError(`${MINIMAL}health:\n  timeout: ${JSON.stringify(value)}\n`).message).toMatch(
      /health\.timeout: invalid duration/,
    );
  });

  it('refuses secretEnv naming a variable that is not in env', () => {
    const error = configError(`${MINIMAL}  env: { A: 1 }\n  secretEnv: [A, API_TOKEN]\n`);
    expect(error.message).toMatch(/service\.secretEnv names API_TOKEN/);
    expect(error.message).not.toMatch(/names A,/);
  });

  it.each(['toString', 'constructor', 'hasOwnProperty'])(
    'refuses secretEnv %j, which only the object prototype defines',
    (name) => {
      expect(configError(`${MINIMAL}  env: { A: 1 }\n  secretEnv: [${name}]\n`).message).toMatch(
        new RegExp(`secretEnv names ${name}`),
      );
    },
  );

  it.each(['linkswitch.colour', 'linkswitch.managed', '-bad', 'sp ace'])('refuses the label %j', (label) => {
    expect(configError(`${MINIMAL}  labels: { ${JSON.stringify(label)}: x }\n`).message).toContain(
      `service.labels.${label}: invalid label name`,
    );
  });

  it.each([
    [
      'service.name',
      'service:\n  name: "web\\nbackend evil"\n  image: myapp:1\n  port: 8080\n',
      /service\.name: invalid service name/,
    ],
    [
      'service.name',
      'service:\n  name: "web # x"\n  image: myapp:1\n  port: 8080\n',
      /service\.name: invalid service name/,
    ],
    [
      'service.image',
      'service:\n  name: web\n  image: "myapp:1 ; rm -rf /"\n  port: 8080\n',
      /service\.image: invalid image reference/,
    ],
    [
      'service.image',
      'service:\n  name: web\n  image: "myapp:1\\nRUN x"\n  port: 8080\n',
      /service\.image: invalid image reference/,
    ],
    ['health.path', `${MINIMAL}health:\n  path: "/h#x"\n`, /health\.path: invalid health path/],
    ['health.path', `${MINIMAL}health:\n  path: "/h\\n    http-request deny"\n`, /health\.path: invalid health path/],
    ['health.path', `${MINIMAL}health:\n  path: "/h x"\n`, /health\.path: invalid health path/],
    ['haproxy.bind', `${MINIMAL}haproxy:\n  bind: "0.0.0.0:80\\nlisten x"\n`, /haproxy\.bind: /],
    ['haproxy.bind', `${MINIMAL}haproxy:\n  bind: "999.0.0.1:80"\n`, /haproxy\.bind: invalid IP address/],
    [
      'haproxy.adminSocket',
      `${MINIMAL}haproxy:\n  adminSocket: "run/admin sock"\n`,
      /haproxy\.adminSocket: invalid haproxy\.adminSocket/,
    ],
    ['haproxy.configFile', `${MINIMAL}haproxy:\n  configFile: "run/#cfg"\n`, /haproxy\.configFile/],
    ['network.name', `${MINIMAL}network:\n  mode: network\n  name: "net;x"\n`, /network\.name: invalid network name/],
  ])('refuses an injection attempt in %s', (_key, text, pattern) => {
    expect(configError(text).message).toMatch(pattern);
  });
});

describe('parseConfig / loadConfig: resource exhaustion', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    '',
  ].join('\n');

  it('refuses a YAML alias bomb as a config error (exit 2), not an unexpected error', () => {
    const error = configError(`${MINIMAL}${bomb}`);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/YAML aliases expand too far/);
  });

  it('still accepts ordinary aliases', () => {
    const yaml = 'service:\n  name: web\n  image: &img "app:1"\n  port: 8080\n  labels: { image: *img }\n';
    expect(parseConfig(yaml, FILE).service.labels).toEqual({ image: 'app:1' });
  });

  it('refuses a config over 1 MiB without parsing it, from text and from a file', async () => {
    const huge = `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(configError(huge).message).toMatch(/larger than 1024 KiB/);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-huge-'));
    try {
      const file = path.join(dir, 'linkswitch.yml');
      await writeFile(file, huge);
      await expect(loadConfig(file)).rejects.toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
