import { describe, expect, it } from 'vitest';
import { decideConfigChange, serverLines } from './runtime-change.js';

// The rule that decides "runtime API or reload", on every kind of difference a render can make.

interface Web {
  linked?: 'blue' | 'green';
  green?: string;
  map?: string;
  inter?: string;
  api?: string;
  extra?: string;
}

const config = ({
  linked = 'blue',
  green = '172.18.0.3:8080',
  map = 'routes.3f2a.map',
  inter = '2s',
  api = '    server blue 172.18.0.4:8080 weight 100',
  extra = '',
}: Web = {}) =>
  [
    `# Service web: ${linked} linked`,
    '# Service api: blue linked',
    'global',
    '    stats socket /run/admin.sock mode 600 level admin',
    'frontend fe_http',
    '    bind 0.0.0.0:80',
    `    use_backend %[req.hdr(host),lower,map(/run/maps/${map})]`,
    'backend be_web',
    `    default-server check inter ${inter} rise 2 fall 3`,
    `    server blue 172.18.0.2:8080 weight ${linked === 'blue' ? 100 : 0}`,
    `    server green ${green} weight ${linked === 'green' ? 100 : 0}${extra}`,
    'backend be_api',
    api,
    '    server green 127.0.0.1:1 weight 0 disabled',
    '',
  ].join('\n');

describe('decideConfigChange', () => {
  it('needs nothing for the same text', () => {
    expect(decideConfigChange(config(), config())).toEqual({ kind: 'same' });
  });

  it('reloads when there is no file on disk yet', () => {
    expect(decideConfigChange(null, config())).toMatchObject({ kind: 'reload' });
  });

  const placeholder = config().replace(
    'server green 172.18.0.3:8080 weight 0',
    'server green 127.0.0.1:1 weight 0 disabled',
  );
  const named = (ip: string) => config({ green: 'web-green:8080', extra: `  # resolves to ${ip}` });
  it.each<[string, string, string, string[]]>([
    ['a switch: the weights and the header line', config(), config({ linked: 'green' }), ['be_web']],
    ['a new address for the idle colour', config(), config({ green: '172.18.0.9:8080' }), ['be_web']],
    ['a new published port', config(), config({ green: '172.18.0.3:32771' }), ['be_web']],
    ['a placeholder that becomes a container', placeholder, config(), ['be_web']],
    [
      'a server of another service',
      config(),
      config({ api: '    server blue 172.18.0.7:8080 weight 100' }),
      ['be_api'],
    ],
    ['a name whose IP changed (network mode)', named('172.18.0.3'), named('172.18.0.8'), ['be_web']],
  ])('applies %s through the runtime API', (_label, before, after, backends) => {
    const change = decideConfigChange(before, after);
    expect(change.kind).toBe('runtime');
    if (change.kind === 'runtime') expect(change.backends).toEqual(backends);
  });

  it('turns a removed container into a placeholder at runtime', () => {
    const before = config();
    const after = before.replace('server green 172.18.0.3:8080 weight 0', 'server green 127.0.0.1:1 weight 0 disabled');
    const change = decideConfigChange(before, after);
    expect(change.kind).toBe('runtime');
    if (change.kind === 'runtime')
      expect(change.servers.find((s) => s.backend === 'be_web' && s.server === 'green')).toMatchObject({
        address: '127.0.0.1',
        port: 1,
        disabled: true,
      });
  });

  it.each<[string, string, RegExp]>([
    ['a check setting', config({ inter: '1s' }), /default-server check inter 1s.*in backend be_web/],
    ['a map (a route)', config({ map: 'routes.99aa.map' }), /use_backend.*in frontend fe_http/],
    ['another option on a server line', config({ extra: ' slowstart 10s' }), /server green.*slowstart/],
    [
      'a new server line',
      config().replace('backend be_api', '    server red 1.2.3.4:80 weight 0\nbackend be_api'),
      /added or removed/,
    ],
    ['a removed service', config().replace(/backend be_api\n.*\n.*\n/, ''), /added or removed/],
    ['a name without a resolved IP', config({ green: 'web-green:8080' }), /server green web-green/],
    ['a renamed server', config().replace('server green 172', 'server red 172'), /server red/],
  ])('reloads for %s', (_label, after, reason) => {
    const change = decideConfigChange(config(), after);
    expect(change.kind).toBe('reload');
    if (change.kind === 'reload') expect(change.reason).toMatch(reason);
  });

  it('reloads for any other line, a server moved between backends included', () => {
    const moved = config().replace('backend be_api', 'backend be_api2');
    expect(decideConfigChange(config(), moved)).toMatchObject({ kind: 'reload' });
  });

  it('changes only the weight of a server-template (Swarm) at runtime', () => {
    const swarm = (w: number, slots = 4) =>
      `backend be_web\n    server-template blue ${slots} web-blue:8080 weight ${w} resolvers docker init-addr last,none\n`;
    const change = decideConfigChange(swarm(100), swarm(0));
    expect(change).toMatchObject({ kind: 'runtime', backends: ['be_web'] });
    if (change.kind === 'runtime') expect(change.servers.map((s) => [s.server, s.weight, s.dns])).toHaveLength(4);
    expect(decideConfigChange(swarm(100), swarm(100, 6))).toMatchObject({ kind: 'reload' });
  });
});

describe('serverLines', () => {
  it('connects to the IP on the line, whatever the comment names (a published port beside the container IP)', () => {
    const text = 'backend be_db\n    server blue 127.0.0.1:46753 weight 100  # resolves to 172.17.0.10\n';
    expect(serverLines(text)).toMatchObject([{ address: '127.0.0.1', port: 46753 }]);
  });

  it('reads the shipped template’s server lines with the IP a name resolves to', () => {
    const text = config({ green: 'web-green:8080', extra: '  # resolves to 172.18.0.3' });
    expect(serverLines(text)).toEqual([
      {
        backend: 'be_web',
        server: 'blue',
        address: '172.18.0.2',
        port: 8080,
        weight: 100,
        disabled: false,
        dns: false,
      },
      { backend: 'be_web', server: 'green', address: '172.18.0.3', port: 8080, weight: 0, disabled: false, dns: false },
      {
        backend: 'be_api',
        server: 'blue',
        address: '172.18.0.4',
        port: 8080,
        weight: 100,
        disabled: false,
        dns: false,
      },
      { backend: 'be_api', server: 'green', address: '127.0.0.1', port: 1, weight: 0, disabled: true, dns: false },
    ]);
  });
});
