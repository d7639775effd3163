import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failures, type Sample, startLoad } from '../support/load.js';
import { createMultiStack, type MultiStack } from '../support/multi-stack.js';
import { freePort } from '../support/stack.js';
import { createCa, servedSerial, type TestCa } from '../support/tls.js';

// Tutum's model: one HAProxy in front of a stack. Three services (two by host, one by a path
// prefix) behind one HAProxy on HTTPS with a redirect from HTTP, against a real dockerd and a
// real HAProxy, with certificates made by the test. Under keep-alive HTTPS load to every host,
// each service is deployed and rolled back, two of them at the same moment: no request fails,
// every response comes from the service its host/path names, and a service's deploy never
// changes which version another service serves.

const HOSTS = { app: 'app.test', api: 'api.test', admin: 'example.test' } as const;
// admin is behind HTTP basic auth (a SHA-512 crypt hash in the config, made by openssl here).
const ADMIN_AUTH = { authorization: `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}` };

function get(options: {
  port: number;
  host: string;
  path?: string;
  secure?: boolean;
  ca?: string;
  headers?: Record<string, string>;
  /** Accept a certificate for another name (a host no certificate covers). */
  anyName?: boolean;
}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = options.secure ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        headers: { host: options.host, ...options.headers },
        agent: false,
        ...(options.secure
          ? {
              ca: options.ca,
              servername: options.host.split(':')[0]!.toLowerCase(),
              ...(options.anyName ? { checkServerIdentity: () => undefined } : {}),
            }
          : {}),
        timeout: 5_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (body += c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

describe('several services behind one HAProxy, on HTTPS', () => {
  let stack: MultiStack;
  let ca: TestCa;
  let certFile: string;
  let syslog: dgram.Socket;
  const logLines: string[] = [];
  let services: Record<string, Record<string, unknown>>;
  let haproxyExtra: Record<string, unknown>;
  let statsPort: number;
  let tcpPort: number;

  beforeAll(async () => {
    stack = await createMultiStack('multi', ['app', 'api', 'admin', 'db']);
    ca = await createCa(path.join(stack.dir, 'ca'));
    certFile = await ca.issue({
      hosts: [HOSTS.app, `*.${HOSTS.app}`, HOSTS.api, HOSTS.admin],
      outDir: path.join(stack.dir, 'certs'),
      fileName: 'site.pem',
    });
    // Access logs over syslog/UDP to a socket of this test: HAProxy on the host is a daemon.
    syslog = dgram.createSocket('udp4');
    syslog.on('message', (msg) => logLines.push(msg.toString()));
    await new Promise<void>((resolve) => syslog.bind(0, '127.0.0.1', resolve));
    const { stdout: hash } = await execa('openssl', ['passwd', '-6', 's3cret-pass']);
    statsPort = await freePort();
    tcpPort = await freePort();
    services = {
      app: { routes: [HOSTS.app, `*.${HOSTS.app}`] },
      api: {
        routes: [HOSTS.api],
        health: { interval: '100ms', timeout: '20s', host: HOSTS.api },
        extraLines: ['http-response set-header X-Extra api-backend'],
      },
      admin: {
        routes: [{ host: HOSTS.admin, path: '/admin', stripPrefix: true }],
        auth: { users: { ops: hash.trim() } },
      },
      // A TCP service (Tutum's TCP_PORTS) on its own port: the test app, spoken to as plain TCP.
      db: { mode: 'tcp', bind: `127.0.0.1:${tcpPort}` },
    };
    haproxyExtra = {
      tls: {
        bind: `127.0.0.1:${stack.httpsPort}`,
        certificates: [certFile],
        redirect: 308,
        hsts: { maxAge: 600 },
      },
      accessLog: { target: `127.0.0.1:${syslog.address().port}` },
      stats: { bind: `127.0.0.1:${statsPort}` },
      extraFrontendLines: ['http-response set-header X-Edge linkswitch'],
    };
    await stack.writeConfig(services, { haproxy: haproxyExtra });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  }, 120_000);

  afterAll(async () => {
    syslog?.close();
    await stack?.destroy();
  });

  const version = async (id: string) => {
    const state = await stack.readState(id);
    return state.colours[state.linked]?.image.split(':')[1];
  };

  it('deploys and rolls back each service, two at once, under HTTPS load: no failure, no crossed route', {
    timeout: 240_000,
  }, async () => {
    const targets = {
      app: { hostHeader: HOSTS.app, path: '/' },
      wildcard: { hostHeader: `tenant1.${HOSTS.app}`, path: '/' },
      api: { hostHeader: HOSTS.api, path: '/' },
      admin: { hostHeader: HOSTS.admin, path: '/admin/page', headers: ADMIN_AUTH },
    };
    const expected: Record<string, string> = { app: 'app', wildcard: 'app', api: 'api', admin: 'admin', db: 'db' };
    const loads: Record<string, ReturnType<typeof startLoad>> = Object.fromEntries(
      Object.entries(targets).map(([key, t]) => [
        key,
        startLoad({ port: stack.httpsPort, connections: 3, maxDurationMs: 200_000, tls: { ca: ca.pem }, ...t }),
      ]),
    );
    // The TCP service: a connection per request, since TCP mode switches connections.
    loads.db = startLoad({ port: tcpPort, connections: 2, maxDurationMs: 200_000, keepAlive: false });
    const windows: Array<{ ids: string[]; startedAt: number; returnedAt: number; before: Record<string, string> }> = [];
    const run = async (...commands: Array<[verb: string, id: string, image?: string]>) => {
      const before: Record<string, string> = {};
      for (const id of ['app', 'api', 'admin', 'db']) before[id] = (await version(id))!;
      const startedAt = performance.now();
      const results = await Promise.all(
        commands.map(([verb, id, image]) =>
          stack.cli([verb, stack.names[id]!, ...(image ? ['--image', `linkswitch-test-app:${image}`] : []), '--json']),
        ),
      );
      const returnedAt = performance.now();
      for (const r of results) expect(r.exitCode, r.all).toBe(0);
      windows.push({ ids: commands.map((c) => c[1]), startedAt, returnedAt, before });
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await run(['deploy', 'app', 'v2']);
    await run(['deploy', 'api', 'v2']);
    await run(['rollback', 'app']);
    // Two services at the same moment: each one's change to haproxy.cfg must survive the other's.
    await run(['deploy', 'app', 'v2'], ['deploy', 'admin', 'v2']);
    await run(['rollback', 'api'], ['rollback', 'admin']);
    await run(['deploy', 'api', 'v2'], ['deploy', 'admin', 'v2']);
    await run(['deploy', 'db', 'v2'], ['rollback', 'app']);
    await run(['rollback', 'db']);
    await run(['deploy', 'db', 'v2'], ['deploy', 'app', 'v2']);
    const samples = Object.fromEntries(
      await Promise.all(Object.entries(loads).map(async ([key, load]) => [key, await load.stop()] as const)),
    ) as Record<string, Sample[]>;

    let total = 0;
    for (const [key, list] of Object.entries(samples)) {
      total += list.length;
      expect(list.length, key).toBeGreaterThan(100);
      expect(failures(list).slice(0, 5), `${key}: failed requests`).toEqual([]);
      const crossed = list.filter((s) => s.service !== expected[key]);
      expect(crossed.slice(0, 5), `${key}: answered by another service`).toEqual([]);
    }
    // After each command, new requests reach only the new version of the services it changed,
    // and during it, the other services kept their version.
    for (const [i, w] of windows.entries()) {
      const next = windows[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
      for (const [key, list] of Object.entries(samples)) {
        const id = expected[key]!;
        const during = list.filter((s) => s.startedAt >= w.startedAt && s.endedAt <= w.returnedAt);
        if (!w.ids.includes(id)) {
          const other = during.filter((s) => s.version !== w.before[id]);
          expect(other.slice(0, 3), `${key} changed during ${w.ids.join('+')}`).toEqual([]);
        }
      }
      for (const id of w.ids) {
        const now = windows[i + 1]?.before[id] ?? (await version(id));
        for (const [key, list] of Object.entries(samples)) {
          if (expected[key] !== id) continue;
          const after = list.filter((s) => s.startedAt > w.returnedAt && s.endedAt < next);
          expect(after.filter((s) => s.version !== now).slice(0, 3), `${key} after ${w.ids.join('+')}`).toEqual([]);
        }
      }
    }
    const counts = Object.entries(samples).map(([key, list]) => `${key} ${list.length}`);
    console.log(`multi-service load: ${total} requests (${counts.join(', ')}) over ${windows.length} rounds, 0 failed`);
    expect(await version('app')).toBe('v2');
    expect(await version('api')).toBe('v2');
    expect(await version('admin')).toBe('v2');
    expect(await version('db')).toBe('v2');
  });

  it('redirects HTTP to HTTPS except ACME challenges, passes client IP and proto, strips the prefix, logs', async () => {
    const plain = await get({ port: stack.httpPort, host: HOSTS.app, path: '/x?y=1' });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://${HOSTS.app}/x?y=1`);
    const acme = await get({ port: stack.httpPort, host: HOSTS.app, path: '/.well-known/acme-challenge/token' });
    expect(acme.status).toBe(200);
    expect(acme.headers['x-service']).toBe('app');

    const secure = await get({
      port: stack.httpsPort,
      host: HOSTS.admin,
      path: '/admin/reports?q=1',
      secure: true,
      ca: ca.pem,
      // A client cannot choose the address the app sees.
      headers: { 'x-forwarded-for': '6.6.6.6', ...ADMIN_AUTH },
    });
    expect(secure.status).toBe(200);
    expect(secure.headers['x-service']).toBe('admin');
    expect(secure.headers['x-seen-path']).toBe('/reports?q=1');
    expect(secure.headers['x-seen-forwarded-for']).toBe('127.0.0.1');
    expect(secure.headers['x-seen-forwarded-proto']).toBe('https');
    expect(secure.headers['x-seen-forwarded-host']).toBe(HOSTS.admin);
    expect(secure.headers['strict-transport-security']).toBe('max-age=600');
    // Basic auth: refused without credentials (before the app), HAProxy's own health check passes.
    const anonymous = await get({
      port: stack.httpsPort,
      host: HOSTS.admin,
      path: '/admin/x',
      secure: true,
      ca: ca.pem,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(`Basic realm="${stack.names.admin}"`);
    expect(anonymous.headers['x-service']).toBeUndefined();
    const cfg = await readFile(stack.haproxyCfg, 'utf8');
    expect(cfg).toMatch(/user ops password \$6\$/);
    expect(cfg).not.toContain('s3cret-pass');
    // The health check sends the Host header the app may require; extra lines are applied.
    expect(cfg).toContain(`http-check send meth GET uri /health ver HTTP/1.1 hdr Host ${HOSTS.api}`);
    const api = await get({ port: stack.httpsPort, host: HOSTS.api, secure: true, ca: ca.pem });
    expect(api.headers['x-extra']).toBe('api-backend');
    expect(api.headers['x-edge']).toBe('linkswitch');
    // HAProxy's Prometheus exporter: requests per service and colour, beside linkswitch's own /metrics.
    const metrics = await get({ port: statsPort, host: '127.0.0.1', path: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(
      new RegExp(`haproxy_backend_http_responses_total\\{proxy="be_${stack.names.api}",code="2xx"\\} [1-9]`),
    );
    expect(metrics.body).toMatch(
      new RegExp(`haproxy_server_status\\{proxy="be_${stack.names.app}",server="(blue|green)"`),
    );
    // Host matching ignores case and port; a prefix matches only on a segment boundary.
    const upper = await get({ port: stack.httpsPort, host: `API.TEST:${stack.httpsPort}`, secure: true, ca: ca.pem });
    expect(upper.headers['x-service']).toBe('api');
    const notPrefix = await get({
      port: stack.httpsPort,
      host: HOSTS.admin,
      path: '/administrator',
      secure: true,
      ca: ca.pem,
    });
    expect(notPrefix.status).toBe(404);
    const unknown = await get({ port: stack.httpsPort, host: 'nobody.test', secure: true, ca: ca.pem, anyName: true });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/no service answers/);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const adminLine = logLines.find((l) => l.includes('/admin/reports'));
    expect(adminLine, `access log lines: ${logLines.slice(-3).join(' | ')}`).toBeDefined();
    // httplog marks a TLS frontend with "~".
    expect(adminLine).toMatch(new RegExp(`fe_https~? be_${stack.names.admin}/(blue|green)`));
    expect(adminLine).toMatch(/ 200 /);
  });

  it('keeps a streaming response on the old colour open across a switch until the client closes it', {
    timeout: 60_000,
  }, async () => {
    const before = await version('app');
    const chunks: string[] = [];
    let ended = false;
    const request = https.get({
      host: '127.0.0.1',
      port: stack.httpsPort,
      path: '/stream',
      headers: { host: HOSTS.app },
      servername: HOSTS.app,
      ca: ca.pem,
      agent: false,
    });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
    });
    response.setEncoding('utf8');
    response.on('data', (c: string) => chunks.push(c));
    response.on('end', () => (ended = true));
    response.on('error', () => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const deploy = await stack.cli(['deploy', stack.names.app!, '--image', 'linkswitch-test-app:v1']);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const atSwitch = chunks.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Still streaming from the old version after the switch.
    expect(ended).toBe(false);
    expect(chunks.length).toBeGreaterThan(atSwitch + 5);
    expect(chunks.join('')).toMatch(new RegExp(`^${before} 0\\n`));
    expect(chunks.at(-1)).toMatch(new RegExp(`^${before} `));
    request.destroy();
    expect(await version('app')).toBe('v1');
  });

  it("holds another service's reload until a switch is recorded, so it cannot undo the switch", {
    timeout: 90_000,
  }, async () => {
    const before = await version('app');
    const next = before === 'v1' ? 'v2' : 'v1';
    const load = startLoad({
      port: stack.httpsPort,
      connections: 3,
      maxDurationMs: 60_000,
      tls: { ca: ca.pem },
      hostHeader: HOSTS.app,
    });
    // app's deploy stops right after its weight flip: the state file still names the old colour.
    const paused = await stack.startPaused(
      ['deploy', stack.names.app!, '--image', `linkswitch-test-app:${next}`],
      'after-switch',
    );
    const switchedAt = performance.now();
    // api's deploy reloads HAProxy meanwhile; rendered from app's recorded state without the
    // config lock, that reload would put app's traffic back on the old colour.
    const api = stack.cli(['deploy', stack.names.api!, '--image', 'linkswitch-test-app:v1']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const resumed = await paused.resume();
    expect(resumed.exitCode, resumed.all).toBe(0);
    const apiResult = await api;
    expect(apiResult.exitCode, apiResult.all).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples = await load.stop();
    expect(failures(samples).slice(0, 5)).toEqual([]);
    const afterSwitch = samples.filter((s) => s.startedAt > switchedAt + 50);
    expect(afterSwitch.length).toBeGreaterThan(50);
    expect(afterSwitch.filter((s) => s.version !== next).slice(0, 3)).toEqual([]);
    expect(await version('app')).toBe(next);
    expect(await version('api')).toBe('v1');
  });

  it('refuses expired, mismatched and missing certificates before any reload; takes up a renewed one under load', {
    timeout: 120_000,
  }, async () => {
    const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
    const good = await readFile(certFile, 'utf8');
    const serialBefore = await servedSerial(stack.httpsPort, HOSTS.app, ca.pem);
    expect(serialBefore).toBe(new X509Certificate(good).serialNumber);

    const expired = await ca.issue({
      hosts: [HOSTS.app],
      outDir: path.join(stack.dir, 'bad'),
      fileName: 'old.pem',
      expired: true,
    });
    const other = await ca.issue({ hosts: [HOSTS.app], outDir: path.join(stack.dir, 'bad'), fileName: 'other.pem' });
    const otherText = await readFile(other, 'utf8');
    const goodCert = good.slice(0, good.indexOf('-----BEGIN PRIVATE KEY-----'));
    const otherKey = otherText.slice(otherText.indexOf('-----BEGIN PRIVATE KEY-----'));
    const mismatched = path.join(stack.dir, 'bad', 'mismatched.pem');
    await writeFile(mismatched, `${goodCert}${otherKey}`);
    for (const [file, pattern] of [
      [expired, /expired on 2020-01-02/],
      [mismatched, /private key belongs to another certificate/],
      [path.join(stack.dir, 'bad', 'absent.pem'), /ENOENT/],
    ] as const) {
      await stack.writeConfig(services, {
        haproxy: { ...haproxyExtra, tls: { ...(haproxyExtra.tls as object), certificates: [file] } },
      });
      const up = await stack.cli(['up']);
      expect(up.exitCode, up.all).toBe(2);
      expect(up.stderr).toContain(`certificate ${file}`);
      expect(up.stderr).toMatch(pattern);
      expect(up.stderr.trim().split('\n').at(-1)).toMatch(/^linkswitch: /);
      expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
      expect((await get({ port: stack.httpsPort, host: HOSTS.api, secure: true, ca: ca.pem })).status).toBe(200);
    }
    await stack.writeConfig(services, { haproxy: haproxyExtra });

    // Renewal: the ACME client replaces the file; `up` (or the next deploy) reloads with it.
    const load = startLoad({
      port: stack.httpsPort,
      connections: 4,
      maxDurationMs: 60_000,
      tls: { ca: ca.pem },
      hostHeader: HOSTS.api,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const renewedFile = await ca.issue({
      hosts: [HOSTS.app, `*.${HOSTS.app}`, HOSTS.api, HOSTS.admin],
      outDir: path.join(stack.dir, 'certs'),
      fileName: 'site.pem',
    });
    expect(renewedFile).toBe(certFile);
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(100);
    expect(failures(samples).slice(0, 5)).toEqual([]);
    const serialAfter = await servedSerial(stack.httpsPort, HOSTS.app, ca.pem);
    expect(serialAfter).toBe(new X509Certificate(await readFile(certFile, 'utf8')).serialNumber);
    expect(serialAfter).not.toBe(serialBefore);
    console.log(
      `certificate renewal: ${samples.length} HTTPS requests, 0 failed; serial ${serialBefore} -> ${serialAfter}`,
    );
  });

  it('refuses route conflicts, unknown services and injected hosts with exit 2, changing nothing', async () => {
    const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
    const stateBefore = await stack.readState('api');
    const cases: Array<[Record<string, Record<string, unknown>>, string[], RegExp]> = [
      [
        { ...services, api: { routes: [HOSTS.app] } },
        ['up'],
        new RegExp(`claimed by both services ${stack.names.app} and ${stack.names.api}`),
      ],
      [{ ...services, api: { routes: ['api.test\n    server evil 6.6.6.6:80'] } }, ['up'], /invalid host/],
      [{ ...services, api: { routes: [{ host: HOSTS.api, path: '/x y' }] } }, ['up'], /invalid path prefix/],
      [{ ...services, api: { routes: [{ host: HOSTS.api, path: '/a;b' }] } }, ['up'], /invalid path prefix/],
      [services, ['deploy', 'nosuch'], /no service "nosuch"/],
      [services, ['deploy'], /name the service/],
      [services, ['rollback', 'nosuch'], /no service "nosuch"/],
    ];
    for (const [config, args, pattern] of cases) {
      await stack.writeConfig(config, { haproxy: haproxyExtra });
      const result = await stack.cli(args);
      expect(result.exitCode, `${args.join(' ')}: ${result.all}`).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
      expect(await stack.readState('api')).toEqual(stateBefore);
    }
    await stack.writeConfig(services, { haproxy: haproxyExtra });
  });

  it('shows every service in status, one line each, and as JSON', async () => {
    const text = await stack.cli(['status']);
    expect(text.exitCode, text.all).toBe(0);
    const lines = text.stdout.split('\n');
    for (const id of ['app', 'api', 'admin', 'db'])
      expect(lines.some((l) => l.startsWith(stack.names[id]!))).toBe(true);
    const json = await stack.cli(['status', '--json']);
    const report = JSON.parse(json.stdout) as { services: Array<{ service: string; linked: string }> };
    expect(report.services.map((s) => s.service)).toEqual(['app', 'api', 'admin', 'db'].map((id) => stack.names[id]));
    const one = JSON.parse((await stack.cli(['status', stack.names.api!, '--json'])).stdout) as { service: string };
    expect(one.service).toBe(stack.names.api);
  });
});
