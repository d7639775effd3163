import { describe, expect, it } from 'vitest';
import { describeSettings } from './describe.js';
import { parseConfig } from './load.js';

describe('config check: what a config resolves to', () => {
  it('one service: its image, port, health, state, where HAProxy listens, which templates', () => {
    const settings = parseConfig(
      'service: { name: web, image: myapp:1.0, port: 3000, env: { A: b } }\nhaproxy: { bind: "0.0.0.0:80", templateDir: /srv/tpl }\n',
      '/srv/app/linkswitch.yml',
    );
    expect(
      describeSettings(settings, 'one container per colour, published on 127.0.0.1', '/opt/linkswitch/templates'),
    ).toBe(
      [
        'service web: myapp:1.0, port 3000, every request',
        '  health: GET /health (auto), gives up after 60s; state /srv/app/haproxy/run/state.json',
        'engine: one container per colour, published on 127.0.0.1',
        'haproxy: HTTP on 0.0.0.0:80',
        '  config /srv/app/haproxy/run/haproxy.cfg',
        '  templates /srv/tpl',
        'warning: service.env is deprecated and will be removed in the next release: use environment (`linkswitch config migrate` rewrites the file)',
        '',
      ].join('\n'),
    );
  });

  it('several services: their routes, the default one, a TCP one; the shipped templates named', () => {
    const settings = parseConfig(
      [
        'services:',
        '  web: { image: w:1, port: 80, routes: [shop.test, shop.test/api], default: true }',
        '  db: { image: d:1, port: 5432, mode: tcp, bind: "127.0.0.1:5432" }',
        'haproxy: { templateDir: /opt/t }',
      ].join('\n'),
      '/srv/linkswitch.yml',
    );
    const text = describeSettings(settings, 'the engine', '/opt/t');
    expect(text).toContain('service web: w:1, port 80, routes shop.test, shop.test/api (default)\n');
    expect(text).toContain('service db: d:1, port 5432, tcp on 127.0.0.1:5432\n');
    expect(text).toContain('  templates /opt/t (the shipped ones)\n');
  });
});
