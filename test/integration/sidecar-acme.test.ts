import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalPebbleImage, STACK_USER } from '../../scripts/local-images.js';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { buildSidecarImage, type ComposeStack, createComposeStack, waitFor } from '../support/compose-stack.js';
import { failures, startLoad } from '../support/load.js';
import { pebbleListenerCertificate } from '../support/pebble.js';
import { freePort } from '../support/stack.js';
import { httpsGetText, servedSerial } from '../support/tls.js';

// What `npm run demo` runs: the compose stack with compose/acme/linkswitch.yml (two services by
// host, HTTPS from ACME) and compose/pebble.yml (Pebble in a container, validating HTTP-01 on
// HAProxy's port 80 through Docker's DNS). The sidecar, non-root and read-only, gets both
// certificates by itself and installs them without a reload; they survive a deploy and an
// HAProxy restart, and a forced renewal from `docker compose exec` swaps them under load.

const image = (tag: string) => `linkswitch-test-app:${tag}`;

describe('the compose stack gets its certificates from an ACME CA (Pebble) by itself', () => {
  let stack: ComposeStack;
  let certs: string;
  let managementPort: number;
  let pebbleCa: string;
  /** Pebble's issuing root: what clients trust, as browsers trust Let's Encrypt's. */
  let root: string;
  const hosts = { web: '', api: '' };
  let volume: (name: string) => Promise<string>;
  const reloads = async () => {
    const master = path.join(await volume('haproxy-run'), 'master.sock');
    return parseShowProc(await sendCommand({ path: master, command: 'show proc', timeoutMs: 5000 }))?.reloads ?? -1;
  };
  const serialOf = (host: string) => servedSerial(stack.httpsPort, host, root);

  beforeAll(async () => {
    certs = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-sa-certs-'));
    ({ caPem: pebbleCa } = await pebbleListenerCertificate(path.join(certs, 'pebble'), 'pebble', STACK_USER));
    managementPort = await freePort();
    const pebbleImage = await buildLocalPebbleImage();
    stack = await createComposeStack('sa', { image: image('v1'), acme: { certs, managementPort, pebbleImage } });
    volume = async (name) =>
      (await execa('docker', ['volume', 'inspect', '-f', '{{.Mountpoint}}', `${stack.project}_${name}`])).stdout;
    hosts.web = `web.${stack.service}.test`;
    hosts.api = `api.${stack.service}.test`;
    await buildSidecarImage(stack);
    const up = await stack.compose(['up', '-d']);
    expect(up.exitCode, up.all).toBe(0);
    root = await waitFor(
      'Pebble’s root',
      () => httpsGetText(managementPort, '/roots/0', pebbleCa, 'pebble').catch(() => undefined),
      30_000,
      200,
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.destroy();
    if (certs) await rm(certs, { recursive: true, force: true });
  });

  it('issues both hosts’ certificates once it serves, without a reload, as the stack’s user', {
    timeout: 90_000,
  }, async () => {
    for (const host of Object.values(hosts))
      await waitFor(`${host} with a certificate from Pebble`, () => serialOf(host).catch(() => undefined), 60_000, 200);
    expect(await reloads()).toBe(0);
    const listed = await stack.exec(['certs', '--json']);
    expect(listed.exitCode, listed.all).toBe(0);
    const { certificates: rows } = JSON.parse(listed.stdout) as {
      certificates: Array<{ host: string; source: string; issuer: string; lastError: string | null }>;
    };
    expect(rows.map((r) => `${r.host} ${r.source}`).sort()).toEqual([`${hosts.api} acme`, `${hosts.web} acme`]);
    for (const row of rows) {
      expect(row.issuer).toMatch(/Pebble/);
      expect(row.lastError).toBeNull();
    }
    // In the shared config volume, the user's, keys private; HAProxy reads them after a restart.
    const acmeDir = path.join(await volume('haproxy-config'), 'acme');
    const keys = (await readdir(acmeDir, { recursive: true })).filter((f) => f.endsWith('.pem'));
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const file of keys) {
      const info = await stat(path.join(acmeDir, file));
      expect(info.uid, file).toBe(STACK_USER.uid);
      expect(info.mode & 0o077, file).toBe(0);
    }
  });

  it('keeps them through a deploy under HTTPS load and an HAProxy restart; renews by command', {
    timeout: 180_000,
  }, async () => {
    const before = await serialOf(hosts.web);
    const load = startLoad({
      port: stack.httpsPort,
      connections: 3,
      maxDurationMs: 120_000,
      hostHeader: hosts.web,
      tls: { ca: root },
    });
    await sleep(500);
    const deployed = await stack.hostCli(['deploy', stack.names.web!, '--image', image('v2')]);
    expect(deployed.exitCode, deployed.all).toBe(0);
    expect(await serialOf(hosts.web)).toBe(before);
    // A forced renewal from inside the sidecar container: the new certificate goes in through
    // the runtime API while the load runs.
    const renewed = await stack.exec(['certs', 'renew', '--force', hosts.web]);
    expect(renewed.exitCode, renewed.all).toBe(0);
    const after = await serialOf(hosts.web);
    expect(after).not.toBe(before);
    await sleep(500);
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(100);
    expect(failures(samples).slice(0, 5)).toEqual([]);
    expect(await reloads()).toBe(0);

    // A restarted HAProxy reads the crt-list the sidecar wrote: the same certificates.
    expect((await stack.compose(['restart', 'haproxy'])).exitCode).toBe(0);
    const served = await waitFor(
      'HTTPS after the restart',
      () => serialOf(hosts.web).catch(() => undefined),
      30_000,
      200,
    );
    expect(served).toBe(after);
    expect(await serialOf(hosts.api)).toBeTruthy();
    console.log(`compose stack ACME: deploy and renewal under load, ${samples.length} requests, 0 failed, 0 reloads`);
  });
});
