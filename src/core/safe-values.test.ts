import { describe, expect, it } from 'vitest';
import { UnsafeValueError } from './errors.js';
import {
  safeFsPath,
  safeHost,
  safeHttpPath,
  safeImage,
  safeIpv4,
  safeName,
  safePort,
  safeWeight,
} from './safe-values.js';

// Values shared by every string check: each of these would break out of a haproxy.cfg line or a
// runtime-API command, so every allow-list must refuse them.
const INJECTIONS = [
  'x\nbackend evil',
  'x\rbad',
  'x#comment',
  'x"quoted"',
  "x'quoted'",
  'x;set weight',
  'x y',
  'x\ty',
  'x\0',
];

function refuses(check: (v: unknown) => unknown, value: unknown) {
  expect(() => check(value), JSON.stringify(value)).toThrow(UnsafeValueError);
}

describe('safeName', () => {
  it.each(['web', 'my-app_2.v1', 'a', '0web', 'a'.repeat(63)])('accepts %s', (v) => expect(safeName(v)).toBe(v));
  it.each([
    ...INJECTIONS.map((v) => v.replace('x', 'web')),
    '',
    'Web',
    '-web',
    '.web',
    '_web',
    'a'.repeat(64),
    'wéb',
    'сайт',
    'web🚀',
    'web/x',
    'web:1',
  ])('refuses %j', (v) => refuses(safeName, v));
  it.each([123, null, undefined, {}, ['web']])('refuses non-string %j', (v) => refuses(safeName, v));

  it('names the value and what it is in the message, truncated when long', () => {
    expect(() => safeName('Bad Name', 'service name')).toThrow(/invalid service name "Bad Name"/);
    try {
      safeName('x'.repeat(5000));
      expect.unreachable();
    } catch (error) {
      expect((error as UnsafeValueError).message.length).toBeLessThan(200);
      expect((error as UnsafeValueError).code).toBe('UNSAFE_VALUE');
      expect((error as UnsafeValueError).fix).toBeTruthy();
    }
  });
});

describe('safeHost', () => {
  it.each(['127.0.0.1', '10.0.0.255', 'myapp-blue', 'db.internal.example', 'a', 'web_blue', 'H1'])('accepts %s', (v) =>
    expect(safeHost(v)).toBe(v),
  );
  it.each([
    ...INJECTIONS.map((v) => v.replace('x', 'host')),
    '',
    'a\nb',
    '-host',
    'host-',
    '.host',
    `h${'a'.repeat(300)}`,
    'hôst',
    'ho$t',
    'host:80',
    'host/x',
  ])('refuses %j', (v) => refuses(safeHost, v));
});

describe('safeIpv4', () => {
  it.each(['127.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.1.10'])('accepts %s', (v) =>
    expect(safeIpv4(v)).toBe(v),
  );
  it.each([
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    'localhost',
    '1.2.3.4\n',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4#',
    '::1',
    '',
  ])('refuses %j', (v) => refuses(safeIpv4, v));
});

describe('safePort', () => {
  it.each([
    [1, 1],
    [80, 80],
    [65535, 65535],
    ['8080', 8080],
  ])('accepts %j as %d', (v, expected) => expect(safePort(v)).toBe(expected));
  it.each([
    0,
    65536,
    -1,
    1.5,
    Number.NaN,
    Infinity,
    '0',
    '65536',
    '80a',
    '',
    ' 80',
    '80\n',
    '80;',
    '0x50',
    '1e3',
    null,
    undefined,
    '٨٠',
  ])('refuses %j', (v) => refuses(safePort, v));
});

describe('safeWeight', () => {
  it.each([0, 1, 100, 256])('accepts %d', (v) => expect(safeWeight(v)).toBe(v));
  it.each([-1, 257, 1.5, Number.NaN, '100', '0', null, undefined, '100\nset server'])('refuses %j', (v) =>
    refuses(safeWeight, v),
  );
});

describe('safeHttpPath', () => {
  it.each(['/', '/health', '/api/v1/health?ready=1&x=y', '/a%20b', '/status.json', '/~user/@x'])('accepts %s', (v) =>
    expect(safeHttpPath(v)).toBe(v),
  );
  it.each([
    ...INJECTIONS.map((v) => `/${v}`),
    'health',
    '',
    '/h\nhttp-request deny',
    '/h#frag',
    `/${'a'.repeat(1024)}`,
    '/héalth',
    '/健康',
    '/h<x>',
    '/h\\x',
  ])('refuses %j', (v) => refuses(safeHttpPath, v));
});

describe('safeFsPath', () => {
  it.each(['/var/run/haproxy/admin.sock', 'relative/path.sock', '/tmp/a@b+c=d,e', '/srv/app-1/run_2/x.sock'])(
    'accepts %s',
    (v) => expect(safeFsPath(v)).toBe(v),
  );
  it.each([
    ...INJECTIONS.map((v) => `/run/${v}`),
    '',
    'x'.repeat(4097),
    '/tmp/sôcket',
    '/tmp/a b',
    '/tmp/$HOME',
    '/tmp/a:b',
  ])('refuses %j', (v) => refuses(safeFsPath, v));
});

describe('safeImage', () => {
  const digest = `sha256:${'a1'.repeat(32)}`;
  it.each([
    'myapp',
    'myapp:1.2',
    'registry:5000/team/myapp:1.2',
    'ghcr.io/org/app:v1-rc.1',
    `app@${digest}`,
    `app:1@${digest}`,
    'my_app',
    'my__app',
    'a--b',
    'library/nginx:latest',
  ])('accepts %s', (v) => expect(safeImage(v)).toBe(v));
  it.each([
    ...INJECTIONS.map((v) => `app:${v}`),
    'MyApp',
    '',
    ':tag',
    'app:',
    'app:1 ; rm -rf /',
    'app:1\nRUN x',
    `a${'b'.repeat(255)}`,
    'äpp',
    'app:ünicode',
    'app@sha256:short',
    '-app',
  ])('refuses %j', (v) => refuses(safeImage, v));
});
