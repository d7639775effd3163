import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, createHttpsStack, get, HOSTS, type HttpsStack } from '../support/https-stack.js';
import { failures } from '../support/load.js';
import { CLI } from '../support/stack.js';
import { servedSerial } from '../support/tls.js';

const ESC = '\u001b';
const PTY_RUN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'pty-run.py');

// The HTTP edge of several services behind one HAProxy (test/support/https-stack.ts): the
// redirect, forwarded headers, prefix stripping, basic auth, access logs, HAProxy's metrics,
// certificate checks and renewal, config errors, and `status` for every service.

describe('several services behind one HAProxy: the edge, certificates and config errors', () => {
  let s: HttpsStack;
  /** GET over HTTPS to the stack, trusting its CA. */
  const secureGet = (host: string, path = '/', headers: Record<string, string> = {}) =>
    get({ port: s.stack.httpsPort, host, path, secure: true, ca: s.ca.pem, headers });

  beforeAll(async () => {
    s = await createHttpsStack('edge');
  }, 120_000);

  afterAll(async () => {
    await s?.destroy();
  });

  it('redirects HTTP to HTTPS except ACME challenges, passes client IP and proto, strips the prefix, logs', async () => {
    const plain = await get({ port: s.stack.httpPort, host: HOSTS.app, path: '/x?y=1' });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://${HOSTS.app}/x?y=1`);
    const acme = await get({ port: s.stack.httpPort, host: HOSTS.app, path: '/.well-known/acme-challenge/token' });
    expect(acme.status).toBe(200);
    expect(acme.headers['x-service']).toBe('app');

    // A client cannot choose the address the app sees.
    const secure = await secureGet(HOSTS.admin, '/admin/reports?q=1', { 'x-forwarded-for': '6.6.6.6', ...ADMIN_AUTH });
    expect(secure.status).toBe(200);
    expect(secure.headers['x-service']).toBe('admin');
    expect(secure.headers['x-seen-path']).toBe('/reports?q=1');
    expect(secure.headers['x-seen-forwarded-for']).toBe('127.0.0.1');
    expect(secure.headers['x-seen-forwarded-proto']).toBe('https');
    expect(secure.headers['x-seen-forwarded-host']).toBe(HOSTS.admin);
    expect(secure.headers['strict-transport-security']).toBe('max-age=600');
    // Basic auth: refused without credentials (before the app), HAProxy's own health check passes.
    const anonymous = await secureGet(HOSTS.admin, '/admin/x');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(`Basic realm="${s.stack.names.admin}"`);
    expect(anonymous.headers['x-service']).toBeUndefined();
    const cfg = await readFile(s.stack.haproxyCfg, 'utf8');
    expect(cfg).toMatch(/user ops password \$6\$/);
    expect(cfg).not.toContain('s3cret-pass');
    // The health check sends the Host header the app may require; extra lines are applied.
    expect(cfg).toContain(`http-check send meth GET uri /health ver HTTP/1.1 hdr Host ${HOSTS.api}`);
    const api = await secureGet(HOSTS.api);
    expect(api.headers['x-extra']).toBe('api-backend');
    expect(api.headers['x-edge']).toBe('linkswitch');
    // HAProxy's Prometheus exporter: requests per service and colour, beside linkswitch's own /metrics.
    const metrics = await get({ port: s.statsPort, host: '127.0.0.1', path: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(
      new RegExp(`haproxy_backend_http_responses_total\\{proxy="be_${s.stack.names.api}",code="2xx"\\} [1-9]`),
    );
    expect(metrics.body).toMatch(
      new RegExp(`haproxy_server_status\\{proxy="be_${s.stack.names.app}",server="(blue|green)"`),
    );
    // Host matching ignores case and port; a prefix matches only on a segment boundary.
    const upper = await secureGet(`API.TEST:${s.stack.httpsPort}`);
    expect(upper.headers['x-service']).toBe('api');
    const notPrefix = await secureGet(HOSTS.admin, '/administrator');
    expect(notPrefix.status).toBe(404);
    const unknown = await get({
      port: s.stack.httpsPort,
      host: 'nobody.test',
      secure: true,
      ca: s.ca.pem,
      anyName: true,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/no service answers/);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const adminLine = s.logLines.find((l) => l.includes('/admin/reports'));
    expect(adminLine, `access log lines: ${s.logLines.slice(-3).join(' | ')}`).toBeDefined();
    // httplog marks a TLS frontend with "~".
    expect(adminLine).toMatch(new RegExp(`fe_https~? be_${s.stack.names.admin}/(blue|green)`));
    expect(adminLine).toMatch(/ 200 /);
  });

  it('refuses expired, mismatched and missing certificates before any reload; takes up a renewed one under load', {
    timeout: 120_000,
  }, async () => {
    const cfgBefore = await readFile(s.stack.haproxyCfg, 'utf8');
    const good = await readFile(s.certFile, 'utf8');
    const serialBefore = await servedSerial(s.stack.httpsPort, HOSTS.app, s.ca.pem);
    expect(serialBefore).toBe(new X509Certificate(good).serialNumber);

    const expired = await s.ca.issue({
      hosts: [HOSTS.app],
      outDir: path.join(s.stack.dir, 'bad'),
      fileName: 'old.pem',
      expired: true,
    });
    const other = await s.ca.issue({
      hosts: [HOSTS.app],
      outDir: path.join(s.stack.dir, 'bad'),
      fileName: 'other.pem',
    });
    const otherText = await readFile(other, 'utf8');
    const goodCert = good.slice(0, good.indexOf('-----BEGIN PRIVATE KEY-----'));
    const otherKey = otherText.slice(otherText.indexOf('-----BEGIN PRIVATE KEY-----'));
    const mismatched = path.join(s.stack.dir, 'bad', 'mismatched.pem');
    await writeFile(mismatched, `${goodCert}${otherKey}`);
    for (const [file, pattern] of [
      [expired, /expired on 2020-01-02/],
      [mismatched, /private key belongs to another certificate/],
      [path.join(s.stack.dir, 'bad', 'absent.pem'), /ENOENT/],
    ] as const) {
      await s.stack.writeConfig(s.services, {
        haproxy: { ...s.haproxyExtra, tls: { ...(s.haproxyExtra.tls as object), certificates: [file] } },
      });
      const up = await s.stack.cli(['up']);
      expect(up.exitCode, up.all).toBe(2);
      expect(up.stderr).toContain(`certificate ${file}`);
      expect(up.stderr).toMatch(pattern);
      expect(up.stderr.trim().split('\n').at(-1)).toMatch(/^linkswitch: /);
      expect(await readFile(s.stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
      expect((await secureGet(HOSTS.api)).status).toBe(200);
    }
    await s.stack.writeConfig(s.services, { haproxy: s.haproxyExtra });

    // Renewal: the ACME client replaces the file; `up` (or the next deploy) reloads with it.
    const load = s.load(HOSTS.api, { connections: 4 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const renewedFile = await s.ca.issue({
      hosts: [HOSTS.app, `*.${HOSTS.app}`, HOSTS.api, HOSTS.admin],
      outDir: path.join(s.stack.dir, 'certs'),
      fileName: 'site.pem',
    });
    expect(renewedFile).toBe(s.certFile);
    const up = await s.stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(100);
    expect(failures(samples).slice(0, 5)).toEqual([]);
    const serialAfter = await servedSerial(s.stack.httpsPort, HOSTS.app, s.ca.pem);
    expect(serialAfter).toBe(new X509Certificate(await readFile(s.certFile, 'utf8')).serialNumber);
    expect(serialAfter).not.toBe(serialBefore);
    console.log(
      `certificate renewal: ${samples.length} HTTPS requests, 0 failed; serial ${serialBefore} -> ${serialAfter}`,
    );
  });

  it('refuses route conflicts, unknown services and injected hosts with exit 2, changing nothing', async () => {
    const cfgBefore = await readFile(s.stack.haproxyCfg, 'utf8');
    const stateBefore = await s.stack.readState('api');
    const cases: Array<[Record<string, Record<string, unknown>>, string[], RegExp]> = [
      [
        { ...s.services, api: { routes: [HOSTS.app] } },
        ['up'],
        new RegExp(`claimed by both services ${s.stack.names.app} and ${s.stack.names.api}`),
      ],
      [{ ...s.services, api: { routes: ['api.test\n    server evil 6.6.6.6:80'] } }, ['up'], /invalid host/],
      [{ ...s.services, api: { routes: [{ host: HOSTS.api, path: '/x y' }] } }, ['up'], /invalid path prefix/],
      [{ ...s.services, api: { routes: [{ host: HOSTS.api, path: '/a;b' }] } }, ['up'], /invalid path prefix/],
      [s.services, ['deploy', 'nosuch'], /no service "nosuch"/],
      [s.services, ['deploy'], /name the service/],
      [s.services, ['rollback', 'nosuch'], /no service "nosuch"/],
    ];
    for (const [config, args, pattern] of cases) {
      await s.stack.writeConfig(config, { haproxy: s.haproxyExtra });
      const result = await s.stack.cli(args);
      expect(result.exitCode, `${args.join(' ')}: ${result.all}`).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(await readFile(s.stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
      expect(await s.stack.readState('api')).toEqual(stateBefore);
    }
    await s.stack.writeConfig(s.services, { haproxy: s.haproxyExtra });
  });

  it('shows every service in status, one line each, and as JSON', async () => {
    const text = await s.stack.cli(['status']);
    expect(text.exitCode, text.all).toBe(0);
    const lines = text.stdout.split('\n');
    for (const id of ['app', 'api', 'admin', 'db'])
      expect(lines.some((l) => l.startsWith(s.stack.names[id]!))).toBe(true);
    const json = await s.stack.cli(['status', '--json']);
    const report = JSON.parse(json.stdout) as { services: Array<{ service: string; linked: string }> };
    expect(report.services.map((s) => s.service)).toEqual(['app', 'api', 'admin', 'db'].map((id) => s.stack.names[id]));
    const one = JSON.parse((await s.stack.cli(['status', s.stack.names.api!, '--json'])).stdout) as { service: string };
    expect(one.service).toBe(s.stack.names.api);
  });

  it('--events: each step as a JSON line on stdout, then the result, or the error', { timeout: 60_000 }, async () => {
    const api = s.stack.names.api!;
    const deployed = await s.stack.cli(['--events', 'deploy', api, '--image', 'linkswitch-test-app:v2']);
    expect(deployed.exitCode, deployed.all).toBe(0);
    const lines = deployed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = lines.filter((l) => l.event === 'step');
    // Every step that started also ended, in order, and the result is the last line.
    const started = steps.filter((l) => l.phase === 'start').map((l) => l.step);
    expect(steps.filter((l) => l.phase === 'end').map((l) => l.step)).toEqual(started);
    expect(started).toEqual(
      expect.arrayContaining(['run-container', 'wait-healthy', 'switch', 'record-state', 'drain']),
    );
    expect(lines.find((l) => l.event === 'switched')).toMatchObject({ service: api, switchMs: expect.any(Number) });
    expect(lines.at(-1)).toMatchObject({
      event: 'result',
      command: 'deploy',
      service: api,
      image: 'linkswitch-test-app:v2',
    });
    const failed = await s.stack.cli(['--events', 'rollback', 'nosuch']);
    expect(failed.exitCode).toBe(2);
    expect(JSON.parse(failed.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'error',
      code: 'UNKNOWN_SERVICE',
      exitCode: 2,
    });
  });

  it('shows a live step view on a terminal (a pseudo-terminal here), in colour unless NO_COLOR', {
    timeout: 90_000,
  }, async () => {
    const api = s.stack.names.api!;
    const onTerminal = async (args: string[], extra: Record<string, string>) => {
      const result = await execa('python3', [PTY_RUN, 'node', CLI, ...args], {
        reject: false,
        timeout: 60_000,
        // A person's environment: no LINKSWITCH_LOG_FORMAT.
        env: { PATH: process.env.PATH ?? '', LINKSWITCH_CONFIG: s.stack.configFile, TERM: 'xterm-256color', ...extra },
        extendEnv: false,
      });
      return { exitCode: result.exitCode, text: String(result.stdout) };
    };
    const deployed = await onTerminal(['deploy', api, '--image', 'linkswitch-test-app:v1'], {});
    expect(deployed.exitCode, deployed.text).toBe(0);
    // Redrawn in place (log-update moves the cursor up and erases lines), painted, ticked.
    expect(deployed.text).toMatch(new RegExp(`${ESC}\\[\\d*A|${ESC}\\[2K`));
    expect(deployed.text).toContain(`${ESC}[32m✔`);
    const screen = deployed.text.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
    for (const step of ['create and start', 'wait until', 'switch traffic from', 'drain'])
      expect(screen, step).toContain(step);
    // Several services in the stack: each step names its service.
    expect(screen).toMatch(
      new RegExp(`✔ ${api}: switch traffic from (blue|green) to (blue|green) \\(runtime API\\) {2}\\d+ ms`),
    );
    // The summary below the view; and no log lines interleaved with it.
    expect(screen).toMatch(/deploy: (blue|green) is linked \(linkswitch-test-app:v1\)/);
    expect(screen).not.toMatch(/"level":|INFO/);
    const plain = await onTerminal(['rollback', api], { NO_COLOR: '1' });
    expect(plain.exitCode, plain.text).toBe(0);
    expect(plain.text).not.toMatch(new RegExp(`${ESC}\\[3\\dm`));
    expect(plain.text).toMatch(/✔ \S+: switch traffic/);
    // Not a terminal (a pipe): one plain line per step, no escape codes, no log lines.
    const piped = await execa('node', [CLI, 'rollback', api], {
      reject: false,
      env: { PATH: process.env.PATH ?? '', LINKSWITCH_CONFIG: s.stack.configFile },
      extendEnv: false,
    });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stderr).not.toContain(ESC);
    expect(piped.stderr.split('\n')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^✔ ${api}: switch traffic from \\w+ to \\w+ \\(runtime API\\) {2}\\d+ ms$`)),
      ]),
    );
    expect(piped.stderr).not.toContain('"level"');
    expect(piped.stdout).toMatch(/^rollback: (blue|green) is linked/);
  });
});
