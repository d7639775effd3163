import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_USER } from '../../scripts/local-images.js';
import { buildSidecarImage, type ComposeStack, createComposeStack, waitFor } from '../support/compose-stack.js';
import { failures, type Sample, startLoad } from '../support/load.js';
import { createCa, servedSerial, type TestCa, versionOverHttps } from '../support/tls.js';

// The compose stack with two services by host on HTTPS (compose/multi/linkswitch.yml, what
// `npm run demo` runs): one sidecar runs both. A deploy and a rollback of one service, from the
// host through the control API and with `docker compose exec`, under HTTPS load to both hosts:
// no request fails, and the other service keeps its version throughout.

const image = (tag: string) => `linkswitch-test-app:${tag}`;

describe('linkswitch serve with several services in docker-compose, on HTTPS', () => {
  let stack: ComposeStack;
  let ca: TestCa;
  let certs: string;
  const hosts = { web: '', api: '' };

  beforeAll(async () => {
    certs = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-sm-certs-'));
    ca = await createCa(path.join(certs, 'ca'));
    stack = await createComposeStack('sm', { image: image('v1'), multi: { certs } });
    hosts.web = `web.${stack.service}.test`;
    hosts.api = `api.${stack.service}.test`;
    await ca.issue({ hosts: [hosts.web, hosts.api], outDir: certs, fileName: 'site.pem', owner: STACK_USER });
    await buildSidecarImage(stack);
    const up = await stack.compose(['up', '-d']);
    expect(up.exitCode, up.all).toBe(0);
    for (const host of [hosts.web, hosts.api])
      await waitFor(`${host} over HTTPS`, () => versionOverHttps(stack.httpsPort, host, ca.pem), 60_000, 200);
  }, 240_000);

  afterAll(async () => {
    await stack?.destroy();
    if (certs) await rm(certs, { recursive: true, force: true });
  });

  it('deploys and rolls back one service while the other serves untouched', { timeout: 180_000 }, async () => {
    const load = (host: string) =>
      startLoad({
        port: stack.httpsPort,
        connections: 3,
        maxDurationMs: 120_000,
        hostHeader: host,
        tls: { ca: ca.pem },
      });
    const loads = { web: load(hosts.web), api: load(hosts.api) };
    await sleep(500);
    const deployed = await stack.hostCli(['deploy', stack.names.web!, '--image', image('v2'), '--json']);
    expect(deployed.exitCode, deployed.all).toBe(0);
    const afterDeploy = performance.now();
    await sleep(500);
    const rollbackStart = performance.now();
    const rolledBack = await stack.exec(['rollback', stack.names.web!, '--json']);
    expect(rolledBack.exitCode, rolledBack.all).toBe(0);
    const afterRollback = performance.now();
    await sleep(500);
    const samples: Record<'web' | 'api', Sample[]> = { web: await loads.web.stop(), api: await loads.api.stop() };

    for (const [id, list] of Object.entries(samples)) {
      expect(list.length, id).toBeGreaterThan(200);
      expect(failures(list).slice(0, 5), `${id}: failed requests`).toEqual([]);
    }
    expect(new Set(samples.api.map((s) => s.version))).toEqual(new Set(['v1']));
    const between = samples.web.filter((s) => s.startedAt > afterDeploy + 50 && s.endedAt < rollbackStart);
    expect(between.length).toBeGreaterThan(0);
    expect(new Set(between.map((s) => s.version))).toEqual(new Set(['v2']));
    const after = samples.web.filter((s) => s.startedAt > afterRollback + 50);
    expect(new Set(after.map((s) => s.version))).toEqual(new Set(['v1']));
    console.log(
      `sidecar, two services on HTTPS: web ${samples.web.length}, api ${samples.api.length} requests, 0 failed`,
    );
  });

  it('takes up a renewed certificate by itself (file watch), under HTTPS load', { timeout: 60_000 }, async () => {
    const before = await servedSerial(stack.httpsPort, hosts.api, ca.pem);
    const load = startLoad({
      port: stack.httpsPort,
      connections: 3,
      maxDurationMs: 30_000,
      hostHeader: hosts.api,
      tls: { ca: ca.pem },
    });
    await sleep(300);
    const renewedAt = performance.now();
    await ca.issue({ hosts: [hosts.web, hosts.api], outDir: certs, fileName: 'site.pem', owner: STACK_USER });
    const after = await waitFor(
      'the renewed certificate served',
      async () => {
        const serial = await servedSerial(stack.httpsPort, hosts.api, ca.pem).catch(() => before);
        return serial !== before ? serial : undefined;
      },
      60_000,
      100,
    );
    const tookMs = Math.round(performance.now() - renewedAt);
    await sleep(300);
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(100);
    expect(failures(samples).slice(0, 5)).toEqual([]);
    console.log(`sidecar certificate renewal: served after ${tookMs} ms, ${samples.length} requests, 0 failed`);
    expect(after).not.toBe(before);
  });

  it('names the service in every request when there are several, and reports them all', async () => {
    const unnamed = await stack.hostCli(['deploy', '--image', image('v2')]);
    expect(unnamed.exitCode, unnamed.all).toBe(2);
    expect(unnamed.stderr).toMatch(/name the service/);
    const unknown = await stack.hostCli(['rollback', 'nosuch']);
    expect(unknown.exitCode, unknown.all).toBe(2);
    expect(unknown.stderr).toMatch(/no service "nosuch"/);

    const status = JSON.parse((await stack.hostCli(['status', '--json'])).stdout) as {
      services: Array<{ service: string; linked: string }>;
    };
    expect(status.services.map((s) => s.service)).toEqual([stack.names.web, stack.names.api]);
    const one = JSON.parse((await stack.hostCli(['status', stack.names.api!, '--json'])).stdout) as { service: string };
    expect(one.service).toBe(stack.names.api);

    const metrics = await stack.api('GET', '/metrics');
    expect(metrics.body).toMatch(new RegExp(`linkswitch_deploys_total\\{service="${stack.names.web}"\\} 1`));
    expect(metrics.body).toMatch(new RegExp(`linkswitch_deploys_total\\{service="${stack.names.api}"\\} 0`));
    expect(metrics.body.match(/^# TYPE linkswitch_deploys_total /gm)).toHaveLength(1);
  });
});
