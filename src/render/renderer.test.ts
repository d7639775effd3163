import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import { parseConfig } from '../config/load.js';
import type { Colour } from '../core/colour.js';
import { TemplateError } from '../core/errors.js';
import { type BackendContext, buildHaproxyContext, type HaproxyContext } from '../core/haproxy-context.js';
import type { Observed } from '../core/plan.js';
import type { ObservedContainer } from '../core/ports.js';
import type { Settings } from '../core/settings.js';
import { renderHaproxyConfig } from './renderer.js';

const SHIPPED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

const config: Settings = parseConfig(
  'service:\n  name: web\n  image: app:1\n  port: 8080\nhaproxy:\n  bind: 127.0.0.1:18080\n  retries: 4\n  check: ' +
    '{ inter: 200ms, rise: 2, fall: 3 }\n',
  '/srv/app/linkswitch.yml',
);

function container(colour: Colour, address: ObservedContainer['address']): ObservedContainer {
  return observedContainer(colour, { address });
}

const both = (): Observed => ({
  blue: container('blue', { host: '127.0.0.1', port: 32001 }),
  green: container('green', { host: '127.0.0.1', port: 32002 }),
});

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('renderHaproxyConfig with the shipped templates', () => {
  it('renders a complete config with both colours, the linked one weighted', async () => {
    const text = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(config, 'blue', both()));
    const all = lines(text);
    expect(all).toContain('option redispatch');
    expect(all).toContain('retries 4');
    expect(all).toContain('option idle-close-on-response');
    expect(all).toContain('default-server check inter 200ms rise 2 fall 3');
    expect(all).toContain('option httpchk GET /health');
    expect(all).toContain('server blue 127.0.0.1:32001 weight 100');
    expect(all).toContain('server green 127.0.0.1:32002 weight 0');
    expect(all).toContain('stats socket /srv/app/haproxy/run/admin.sock mode 600 level admin expose-fd listeners');
    expect(all).toContain('hard-stop-after 30000ms');
    expect(all).toContain('frontend fe_web');
    expect(all).toContain('bind 127.0.0.1:18080');
    expect(all).toContain('default_backend be_web');
    expect(all).toContain('backend be_web');
    expect(text).toContain('# Service web: blue linked');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\{\{|\}\}/);
  });

  it('flips the weights when green is linked', async () => {
    const all = lines(await renderHaproxyConfig(SHIPPED, buildHaproxyContext(config, 'green', both())));
    expect(all).toContain('server blue 127.0.0.1:32001 weight 0');
    expect(all).toContain('server green 127.0.0.1:32002 weight 100');
  });

  it('renders a colour that has no address as a disabled placeholder, so a deploy needs no reload', async () => {
    const observed = { ...both(), green: container('green', null) };
    const text = lines(await renderHaproxyConfig(SHIPPED, buildHaproxyContext(config, 'blue', observed)));
    expect(text).toContain('server blue 127.0.0.1:32001 weight 100');
    expect(text).toContain('server green 127.0.0.1:1 weight 0 disabled');

    const empty = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(config, 'blue', { blue: null, green: null }));
    expect(empty.match(/^\s*server .* disabled$/gm)).toHaveLength(2);
    expect(empty).toContain('backend be_web');
  });

  it('does not HTML-escape values', async () => {
    const withQuery = parseConfig(
      'service:\n  name: web\n  image: app:1\n  port: 8080\nhealth:\n  path: /health?a=1&b=2\n',
      '/srv/app/linkswitch.yml',
    );
    const text = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(withQuery, 'blue', both()));
    expect(text).toContain('option httpchk GET /health?a=1&b=2');
    expect(text).not.toContain('&amp;');
  });

  it.each<[string, (ctx: HaproxyContext) => HaproxyContext, RegExp]>([
    ['a host with a newline', (c) => own(c, { servers: [{ ...c.servers[0]!, host: 'a\nb' }] }), /invalid address/],
    ['a host with a comment', (c) => own(c, { servers: [{ ...c.servers[0]!, host: '1.2.3.4 #' }] }), /invalid address/],
    ['an out-of-range port', (c) => own(c, { servers: [{ ...c.servers[0]!, port: 70000 }] }), /invalid port/],
    ['an out-of-range weight', (c) => own(c, { servers: [{ ...c.servers[0]!, weight: 1000 }] }), /invalid weight/],
    [
      'a server name with a newline',
      (c) => own(c, { servers: [{ ...c.servers[0]!, name: 'blue\nserver evil 6.6.6.6:80' as Colour }] }),
      /invalid name/,
    ],
    [
      'a health path with a newline',
      (c) => own(c, { health: { ...c.health, path: '/h\n    http-request deny' } }),
      /invalid health path/,
    ],
    ['a socket path with a space', (c) => ({ ...c, adminSocket: '/run/admin.sock level admin' }), /invalid path/],
    ['a backend with a space', (c) => own(c, { backend: 'be_web evil' }), /invalid name/],
  ])('refuses %s through the template helpers (TemplateError)', async (_label, tamper, pattern) => {
    const context = tamper(buildHaproxyContext(config, 'blue', both()));
    const rendering = renderHaproxyConfig(SHIPPED, context);
    await expect(rendering).rejects.toBeInstanceOf(TemplateError);
    await expect(rendering).rejects.toThrow(pattern);
  });
});

/** The context with this service's backend changed, where the shipped template reads it. */
function own(c: HaproxyContext, patch: Partial<BackendContext>): HaproxyContext {
  return { ...c, ...patch, backends: c.backends.map((b) => (b.service === c.service ? { ...b, ...patch } : b)) };
}

describe('renderHaproxyConfig with custom templates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-tpl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const context = () => buildHaproxyContext(config, 'blue', both());
  const template = (text: string) => writeFile(path.join(dir, 'haproxy.cfg.hbs'), text);

  it('renders partials from partials/*.hbs and adds a final newline', async () => {
    await template('{{> head}}\nbackend {{name backend}}');
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'partials', 'head.hbs'), '# {{name service}} {{linked}}\n');
    expect(await renderHaproxyConfig(dir, context())).toBe('# web blue\nbackend be_web\n');
  });

  it('strict mode: a missing variable is a TemplateError, not an empty string', async () => {
    await template('backend {{name backend}}\n    timeout server {{serverTimeout}}\n');
    const rendering = renderHaproxyConfig(dir, context());
    await expect(rendering).rejects.toBeInstanceOf(TemplateError);
    await expect(rendering).rejects.toThrow(/serverTimeout/);
    await expect(rendering).rejects.toSatisfy(
      (e) =>
        (e as TemplateError).code === 'TEMPLATE_INVALID' &&
        /live haproxy\.cfg was not changed/.test((e as TemplateError).fix ?? ''),
    );
  });

  it('strict mode: a missing nested variable in a partial is a TemplateError', async () => {
    await template('{{> tune}}');
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'partials', 'tune.hbs'), 'maxconn {{limits.maxconn}}');
    await expect(renderHaproxyConfig(dir, context())).rejects.toBeInstanceOf(TemplateError);
  });

  it('a helper given a missing variable is a TemplateError', async () => {
    await template('server x {{host nowhere}}:80');
    await expect(renderHaproxyConfig(dir, context())).rejects.toBeInstanceOf(TemplateError);
  });

  it.each(['{{#each servers}}server {{name name}}', '{{name backend', '{{/if}}', '{{> }}'])(
    'a syntax error (%j) is a TemplateError naming the file',
    async (text) => {
      await template(text);
      const rendering = renderHaproxyConfig(dir, context());
      await expect(rendering).rejects.toBeInstanceOf(TemplateError);
      await expect(rendering).rejects.toThrow(path.join(dir, 'haproxy.cfg.hbs'));
    },
  );

  it('a missing partial is a TemplateError', async () => {
    await template('{{> nope}}');
    await expect(renderHaproxyConfig(dir, context())).rejects.toBeInstanceOf(TemplateError);
  });

  it('a directory without haproxy.cfg.hbs is a TemplateError saying so', async () => {
    await expect(renderHaproxyConfig(path.join(dir, 'missing'), context())).rejects.toThrow(/cannot read templates/);
  });
});
