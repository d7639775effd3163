import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FILE, MULTI } from '../../test/support/config-fixtures.js';
import { observedContainer } from '../../test/support/fakes.js';
import { parseConfig } from '../config/load.js';
import { buildBackendContext, buildHaproxyContext } from '../core/haproxy-context.js';
import { settingsFor } from '../core/settings.js';
import { renderHaproxyConfig } from './renderer.js';

// Several services, one haproxy.cfg: what the shipped templates make of the `services:` example.

const SHIPPED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
const config = parseConfig(MULTI, FILE);
const observed = (port: number) => ({
  blue: observedContainer('blue', { address: { host: '127.0.0.1', port } }),
  green: null,
});
const view = (name: string) => settingsFor(config, name)!;
const backendOf = (name: string, port: number) => buildBackendContext(view(name), 'blue', observed(port));
const certificate = { file: '/srv/app/certs/site.pem', sha256: 'a'.repeat(64), validTo: '2030-01-01T00:00:00.000Z' };

function render(from: string): Promise<string> {
  const ports: Record<string, number> = { app: 32001, api: 32002, admin: 32003 };
  const others = Object.keys(ports)
    .filter((n) => n !== from)
    .map((n) => backendOf(n, ports[n]!));
  const context = buildHaproxyContext(view(from), 'blue', observed(ports[from]!), undefined, others, [certificate]);
  return renderHaproxyConfig(SHIPPED, context);
}

describe('the shipped templates with several services', () => {
  it('renders the same file whichever service renders it (config order, one backend each)', async () => {
    const fromApi = await render('api');
    expect(await render('app')).toBe(fromApi);
    expect(await render('admin')).toBe(fromApi);
    const backends = [...fromApi.matchAll(/^backend (\S+)/gm)].map((m) => m[1]);
    expect(backends).toEqual(['be_app', 'be_api', 'be_admin']);
  });

  it('routes through content-addressed map files, with the default service for the rest', async () => {
    const context = buildHaproxyContext(view('app'), 'blue', observed(1), undefined, []);
    const [routes, wildcards] = context.maps;
    expect(routes!.file).toMatch(/^\/srv\/app\/haproxy\/run\/maps\/routes-[a-f0-9]{16}\.map$/);
    expect(routes!.text).toBe(
      '*.app.example.com/ be_app\nexample.com/admin/ be_admin\napi.example.com/ be_api\napp.example.com/ be_app\n',
    );
    expect(wildcards!.text).toBe('.app.example.com *.app.example.com\n');
    const text = await render('app');
    expect(text).toContain(`var(txn.ls_key),map_beg(${routes!.file})`);
    expect(text).toContain(`var(txn.ls_host),map_end(${wildcards!.file})`);
    expect(text).toContain('    default_backend be_app\n');
    expect(text).not.toContain('be_no_route');
  });

  it('serves HTTPS with the certificates, redirects HTTP (not ACME), sets HSTS, strips prefixes', async () => {
    const text = await render('app');
    expect(text).toContain(
      '    bind 127.0.0.1:8443 ssl crt /srv/app/certs/site.pem crt /srv/app/certs ssl-min-ver TLSv1.2 alpn h2,http/1.1\n',
    );
    expect(text).toContain(
      `    # certificate /srv/app/certs/site.pem sha256 ${'a'.repeat(64)} valid until 2030-01-01T00:00:00.000Z\n`,
    );
    expect(text).toContain(
      '    http-request redirect scheme https code 308 unless { path_beg /.well-known/acme-challenge/ }\n',
    );
    expect(text).toContain('    http-response set-header Strict-Transport-Security "max-age=600"\n');
    expect(text).toContain(
      '    http-request replace-path ^/admin/?(.*)$ /\\1 if { path /admin } || { path_beg /admin/ }\n',
    );
    expect(text).toContain('    timeout server 60000ms\n');
    expect(text).toContain('    option httpchk GET /healthz\n');
    expect(text).toContain('    log /dev/log local0 info\n');
    expect(text).toContain('    option forwardfor\n');
  });

  it('with ACME: answers HTTP-01 from the challenge map, and serves the crt-list after the default', async () => {
    const acmeOnly = parseConfig(
      MULTI.replace(
        'tls: { certificates: [certs/site.pem, certs], hsts: { maxAge: 600 } }',
        'tls: { acme: { email: ops@example.com, termsOfServiceAgreed: true } }',
      ),
      FILE,
    );
    const text = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(acmeOnly, 'blue', observed(1)));
    const acme = path.join(path.dirname(acmeOnly.haproxy.configFile), 'acme');
    const map = `${acme}/challenges.map`;
    expect(text).toContain(
      `    http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),map(${map})]" ` +
        `if { path_beg /.well-known/acme-challenge/ } { path,field(4,/),map(${map}) -m found }\n`,
    );
    expect(text).toContain(
      `    bind 127.0.0.1:8443 ssl crt ${acme}/default.pem crt-list ${acme}/certificates.crtlist ssl-min-ver TLSv1.2`,
    );
    // Beside certificate files, the first file stays the default.
    const both = parseConfig(
      MULTI.replace('hsts: { maxAge: 600 }', 'acme: { email: ops@example.com, termsOfServiceAgreed: true }'),
      FILE,
    );
    const mixed = await renderHaproxyConfig(
      SHIPPED,
      buildHaproxyContext(both, 'blue', observed(1), undefined, [], [certificate]),
    );
    expect(mixed).toContain(
      `    bind 127.0.0.1:8443 ssl crt /srv/app/certs/site.pem crt /srv/app/certs crt-list ${acme}/certificates.crtlist`,
    );
  });

  it('answers unmatched requests with a 404 of its own when no service is the default', async () => {
    const noDefault = parseConfig(MULTI.replace('    default: true\n', ''), FILE);
    const text = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(noDefault, 'blue', observed(1)));
    expect(text).toContain('    default_backend be_no_route\n');
    expect(text).toMatch(/backend be_no_route\n {4}http-request return status 404/);
  });

  it('logs JSON lines when asked, and raw lines on stdout', async () => {
    const json = parseConfig(
      MULTI.replace('haproxy:\n', 'haproxy:\n  accessLog: { target: stdout, format: json }\n'),
      FILE,
    );
    const text = await renderHaproxyConfig(SHIPPED, buildHaproxyContext(json, 'blue', observed(1)));
    expect(text).toContain('    log stdout format raw local0 info\n');
    expect(text).toMatch(/ {4}log-format '\{"time":"%t","client":"%ci",/);
    expect(text).not.toContain('option httplog');
  });
});
