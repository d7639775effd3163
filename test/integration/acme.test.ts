import type { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { startHostSidecar } from '../support/host-sidecar.js';
import { failures, startLoad } from '../support/load.js';
import { type Pebble, startPebble } from '../support/pebble.js';
import { createStack, freePort, haproxySettings, type Stack } from '../support/stack.js';
import { trixieTool } from '../support/trixie-tools.js';

// Certificates from a real ACME CA (Pebble, Let's Encrypt's test CA), HTTP-01 answered by
// HAProxy itself from the challenge map, installed through the runtime API: no reload for a
// certificate, none lost to a later reload, none failed requests during a renewal.

const HOSTS = ['shop.acme.test', 'api.acme.test'];

describe('automatic HTTPS from an ACME CA', () => {
  let stack: Stack;
  let pebble: Pebble;
  let httpsPort: number;
  const reloads = async () => {
    const answer = await sendCommand({ path: `${stack.dir}/run/master.sock`, command: 'show proc', timeoutMs: 5000 });
    return parseShowProc(answer)?.reloads ?? -1;
  };
  /** The certificate HTTPS serves for `host` (no verification: the default one is self-signed). */
  const served = (host: string) =>
    new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: httpsPort, servername: host, rejectUnauthorized: false },
        () => {
          const raw = socket.getPeerX509Certificate();
          socket.end();
          if (raw) resolve(raw);
          else reject(new Error('no certificate'));
        },
      );
      socket.on('error', reject);
    });
  const acmeConfig = (directory: string) => ({
    haproxy: {
      ...haproxySettings(`127.0.0.1:${stack.port}`),
      tls: {
        bind: `127.0.0.1:${httpsPort}`,
        acme: {
          email: 'ops@acme.test',
          directory,
          directoryCa: pebble.caFile,
          termsOfServiceAgreed: true,
          hosts: HOSTS,
        },
      },
    },
  });

  beforeAll(async () => {
    stack = await createStack('acme');
    httpsPort = await freePort();
    // Debian 13's Pebble: it serves renewal information (ARI), as Let's Encrypt does.
    pebble = await startPebble(stack.dir, stack.port, {
      pebble: await trixieTool('pebble'),
      challtestsrv: await trixieTool('challtestsrv'),
    });
    await stack.writeConfig(acmeConfig(pebble.directoryUrl));
  });

  afterAll(async () => {
    await stack?.destroy();
    await pebble?.stop();
  });

  it('up issues a certificate for every host once HAProxy serves, and installs them without a reload', async () => {
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    for (const host of HOSTS) {
      const cert = await served(host);
      expect(cert.issuer, host).toMatch(/Pebble/);
      expect(cert.checkHost(host), host).toBe(host);
    }
    // HAProxy started with the self-signed default only; both arrived through the runtime API.
    expect(await reloads()).toBe(0);
    const dir = path.join(stack.dir, 'run', 'acme');
    for (const host of HOSTS) expect((await stat(path.join(dir, 'certs', `${host}.pem`))).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(dir, 'certificates.crtlist'), 'utf8')).trim().split('\n')).toHaveLength(2);
    const listed = await stack.cli(['certs', '--json']);
    expect(listed.exitCode, listed.all).toBe(0);
    const rows = JSON.parse(listed.stdout).certificates as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.host).sort()).toEqual([...HOSTS].sort());
    for (const row of rows)
      expect(row).toMatchObject({ source: 'acme', lastError: null, daysLeft: expect.any(Number) });
    const status = await stack.cli(['status', '--json']);
    expect(JSON.parse(status.stdout).certificates).toEqual([]);
    // Nothing is due: a second run orders nothing.
    const again = await stack.cli(['certs', 'renew', '--json']);
    expect(again.exitCode, again.all).toBe(0);
    expect(JSON.parse(again.stdout).issued).toEqual([]);
    // That run asked the CA for each certificate's renewal window (RFC 9773).
    const windows = JSON.parse((await stack.cli(['certs', '--json'])).stdout).certificates as Array<{
      renewalWindow: { start: string } | null;
    }>;
    for (const row of windows) expect(Date.parse(row.renewalWindow?.start ?? '')).toBeGreaterThan(Date.now());
  });

  it('renews early when the CA says so (ARI): a revoked certificate is replaced by the next run', async () => {
    const [kept, revoked] = HOSTS as [string, string];
    const before = { kept: await served(kept), revoked: await served(revoked), reloads: await reloads() };
    const dir = path.join(stack.dir, 'run', 'acme');
    // The CA revokes it (here: its owner, with linkswitch's account key, as an incident would).
    const account = JSON.parse(await readFile(path.join(dir, 'account.json'), 'utf8')) as { key: string; url: string };
    const acme = await import('acme-client');
    acme.axios.defaults.httpsAgent = new https.Agent({ ca: await readFile(pebble.caFile, 'utf8') });
    const client = new acme.Client({
      directoryUrl: pebble.directoryUrl,
      accountKey: account.key,
      accountUrl: account.url,
    });
    const pem = await readFile(path.join(dir, 'certs', `${revoked}.pem`), 'utf8');
    await client.revokeCertificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
    // Hours later, when the CA's Retry-After has passed, the next run asks again.
    const statusFile = path.join(dir, 'status.json');
    const status = JSON.parse(await readFile(statusFile, 'utf8')) as Record<
      string,
      { renewalInfo: { checkAt: string } }
    >;
    for (const host of HOSTS) status[host]!.renewalInfo.checkAt = new Date(Date.now() - 1000).toISOString();
    await writeFile(statusFile, JSON.stringify(status));
    const renew = await stack.cli(['certs', 'renew', '--json']);
    expect(renew.exitCode, renew.all).toBe(0);
    expect((JSON.parse(renew.stdout).issued as Array<{ host: string }>).map((i) => i.host)).toEqual([revoked]);
    expect((await served(revoked)).serialNumber).not.toBe(before.revoked.serialNumber);
    expect((await served(kept)).serialNumber).toBe(before.kept.serialNumber);
    expect(await reloads()).toBe(before.reloads);
  });

  it('renews under HTTPS keep-alive load: no failed request, the new serial served, no reload', async () => {
    const host = HOSTS[0] as string;
    const before = await served(host);
    const load = startLoad({
      port: httpsPort,
      hostHeader: host,
      tls: { ca: await pebble.issuingRoot() },
      connections: 4,
      maxDurationMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    const renew = await stack.cli(['certs', 'renew', '--force', host]);
    await new Promise((r) => setTimeout(r, 500));
    const samples = await load.stop();
    expect(renew.exitCode, renew.all).toBe(0);
    expect(samples.length).toBeGreaterThan(50);
    expect(failures(samples)).toEqual([]);
    const after = await served(host);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(await reloads()).toBe(0);
    // A reload (someone else's, a restart) loads the crt-list: the renewed certificate stays.
    await sendCommand({
      path: `${stack.dir}/run/master.sock`,
      command: 'reload',
      timeoutMs: 5000,
      fireAndForget: true,
    });
    // The master re-executes itself: its socket refuses connections for a moment.
    const settled = () => reloads().catch(() => 0);
    for (let i = 0; i < 100 && (await settled()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await reloads()).toBe(1);
    expect((await served(host)).serialNumber).toBe(after.serialNumber);
  });

  it('a run killed mid-order leaves nothing in the way: the lock stops a second one, the next completes', async () => {
    const host = HOSTS[0] as string;
    const before = await served(host);
    const paused = await stack.startPaused(['certs', 'renew', '--force', host], 'acme-challenge');
    const challenges = path.join(stack.dir, 'run', 'acme', 'challenges.map');
    expect((await readFile(challenges, 'utf8')).trim().split('\n')).toHaveLength(1);
    // One order at a time, whoever runs it.
    const second = await stack.cli(['certs', 'renew', '--force', host]);
    expect(second.exitCode, second.all).toBe(4);
    await paused.kill();
    const next = await stack.cli(['certs', 'renew', '--force', host]);
    expect(next.exitCode, next.all).toBe(0);
    expect((await served(host)).serialNumber).not.toBe(before.serialNumber);
    expect(await readFile(challenges, 'utf8')).toBe('');
  });

  it('the sidecar orders what is missing by itself: once it serves, and when the config adds a host', async () => {
    // A host added to the config while nothing runs: the sidecar's first renewal run issues it.
    const added = 'new.acme.test';
    const later = 'later.acme.test';
    const config = acmeConfig(pebble.directoryUrl);
    const withHosts = (hosts: string[]) =>
      stack.writeConfig({
        haproxy: { ...config.haproxy, tls: { ...config.haproxy.tls, acme: { ...config.haproxy.tls.acme, hosts } } },
      });
    const fromPebble = async (host: string) => {
      let cert = await served(host);
      for (let i = 0; i < 100 && !/Pebble/.test(cert.issuer); i++) {
        await new Promise((r) => setTimeout(r, 200));
        cert = await served(host);
      }
      expect(cert.issuer, host).toMatch(/Pebble/);
      expect(cert.checkHost(host)).toBe(host);
    };
    await withHosts([...HOSTS, added]);
    expect((await served(added)).subject).toMatch(/linkswitch default/);
    const status = await stack.cli(['status']);
    expect(status.stdout).toContain(`certificate warning: ${added}: no certificate yet (the default one is served)`);
    const startReloads = await reloads();
    const sidecar = await startHostSidecar(stack);
    try {
      await fromPebble(added);
      // The sidecar renders what `up` rendered (HAProxy on the host logs to /dev/log for both):
      // neither its start nor the certificate replaces HAProxy's workers.
      expect(await reloads()).toBe(startReloads);
      // Added while it runs: ordered after the config reload, not at the next hourly run, and
      // installed (`add ssl crt-list`) while another host serves HTTPS under load.
      const reloadsBefore = await reloads();
      const load = startLoad({
        port: httpsPort,
        hostHeader: HOSTS[0],
        tls: { ca: await pebble.issuingRoot() },
        connections: 4,
        maxDurationMs: 60_000,
      });
      await withHosts([...HOSTS, added, later]);
      await fromPebble(later);
      const samples = await load.stop();
      expect(samples.length).toBeGreaterThan(50);
      expect(failures(samples)).toEqual([]);
      expect(await reloads()).toBe(reloadsBefore);
    } finally {
      const stopped = await sidecar.stop();
      expect(stopped.all).toContain('Certificate issued and installed');
    }
  });

  it('with the CA gone, keeps serving the certificate it has and says why, per host', async () => {
    const host = HOSTS[1] as string;
    const before = await served(host);
    await pebble.stop();
    const renew = await stack.cli(['certs', 'renew', '--force', host]);
    expect(renew.exitCode, renew.all).toBe(13);
    expect(renew.stderr).toMatch(/does not answer/);
    expect((await served(host)).serialNumber).toBe(before.serialNumber);
    const rows = JSON.parse((await stack.cli(['certs', '--json'])).stdout).certificates as Array<
      Record<string, unknown>
    >;
    const row = rows.find((r) => r.host === host);
    expect(row?.lastError).toMatch(/does not answer/);
    expect(row?.nextAttempt).toEqual(expect.any(String));
    // Without --force the next run leaves it alone: the certificate it has is not due yet (a due
    // one would wait out the back-off after this failure: src/core/acme-plan.test.ts).
    const next = await stack.cli(['certs', 'renew', '--json']);
    expect(next.exitCode, next.all).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ issued: [], failed: [] });
  });

  it('refuses bad input with exit 2 before anything runs', async () => {
    const good = acmeConfig(pebble.directoryUrl);
    const acme = good.haproxy.tls.acme;
    for (const [change, message] of [
      [{ email: undefined }, /email/],
      [{ hosts: ['*.acme.test'] }, /wildcard/],
      [{ hosts: ['shop acme.test'] }, /invalid host/],
      [{ directory: 'http://localhost:1/dir' }, /not production, staging or an https:\/\/ URL/],
      [{ termsOfServiceAgreed: false }, /termsOfServiceAgreed/],
    ] as const) {
      await stack.writeConfig({
        haproxy: { ...good.haproxy, tls: { ...good.haproxy.tls, acme: { ...acme, ...change } } },
      });
      const result = await stack.cli(['certs', 'renew']);
      expect(result.exitCode, result.all).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    await stack.writeConfig(good);
  });
});
