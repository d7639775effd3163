import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalBaseImages } from '../../scripts/local-images.js';
import {
  buildSidecarImage,
  type ComposeStack,
  createComposeStack,
  getVersion,
  waitFor,
} from '../support/compose-stack.js';
import { httpGet, versionOf } from '../support/fakes.js';
import { imageRef } from '../support/images.js';
import { createPrivateDockerd, type PrivateDockerd } from '../support/private-dockerd.js';
import { createStack, type Stack } from '../support/stack.js';

// An engine restart (an upgrade, a reboot of dockerd) must heal without a human. On an engine of
// the test's own: the colours come back on the host ports chosen when they were created, so the
// host HAProxy, which kept running, serves the linked version again with no linkswitch command.

let dockerd: PrivateDockerd;

beforeAll(async () => {
  dockerd = await createPrivateDockerd('restart');
  const { nodeImage, haproxyImage } = await buildLocalBaseImages();
  await dockerd.loadImages([imageRef('v1'), imageRef('v2'), nodeImage, haproxyImage]);
}, 180_000);
afterAll(async () => {
  await dockerd?.destroy();
  // The rest of the suite runs on the main engine: its default bridge must be untouched.
  expect((await execa('ip', ['link', 'show', 'docker0'], { reject: false })).exitCode).toBe(0);
});

/** Stops (if running) and starts the engine; resolves with ms from "engine answers again" to `served()`. */
async function restartEngine(served: () => Promise<boolean>): Promise<number> {
  await dockerd.stop();
  const answeredAt = await dockerd.start();
  while (performance.now() - answeredAt < 90_000) {
    if (await served().catch(() => false)) return performance.now() - answeredAt;
    await sleep(50);
  }
  throw new Error('traffic was not served again within 90 s of the engine answering');
}

describe('the Docker engine restarts under a serving stack (CLI setup, host HAProxy)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await createStack('engine', {}, { env: dockerd.env });
    expect((await stack.cli(['up'])).exitCode).toBe(0);
    const deployed = await stack.cli(['deploy', '--image', imageRef('v2')]);
    expect(deployed.exitCode, deployed.all).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await stack?.destroy();
  });

  it('serves v2 again after the engine is back, without any linkswitch command; reports the recovery time', {
    timeout: 120_000,
  }, async () => {
    const stateBefore = await stack.readState();
    expect(versionOf(await httpGet(stack.port))).toBe('v2');
    await dockerd.stop();
    // Engine down: the containers stopped with it (no live-restore), HAProxy has nothing to send to.
    const down = await httpGet(stack.port).catch(() => null);
    expect(down?.status ?? 503).toBe(503);
    const recoveryMs = await restartEngine(async () => (await httpGet(stack.port, { timeoutMs: 2000 })).status === 200);
    for (let i = 0; i < 10; i++) expect(versionOf(await httpGet(stack.port))).toBe('v2');
    expect(await stack.readState()).toEqual(stateBefore);
    console.log(JSON.stringify({ engineRestart: 'cli', engineAnsweredToServedMs: Math.round(recoveryMs) }));
  });
});

describe('the Docker engine restarts under the compose stack (HAProxy and the sidecar in containers)', () => {
  let stack: ComposeStack;

  beforeAll(async () => {
    stack = await createComposeStack(
      'er',
      { image: imageRef('v1') },
      { dockerHost: dockerd.env.DOCKER_HOST!, socket: dockerd.socket },
    );
    await buildSidecarImage(stack);
    // Network and containers first, so forwarding on the network's bridge is allowed before anything starts.
    const created = await stack.compose(['up', '--no-start']);
    expect(created.exitCode, created.all).toBe(0);
    await dockerd.allowForwarding();
    const up = await stack.compose(['up', '-d']);
    expect(up.exitCode, up.all).toBe(0);
    await waitFor(
      'v1 behind HAProxy',
      async () => ((await getVersion(stack.httpPort)).version === 'v1' ? true : undefined),
      60_000,
    );
    await waitFor(
      'the sidecar taking commands',
      async () => ((await stack.exec(['status'])).exitCode === 0 ? true : undefined),
      30_000,
      250,
    );
    const deployed = await stack.exec(['deploy', '--image', imageRef('v2')]);
    expect(deployed.exitCode, deployed.all).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await stack?.destroy();
  });

  it('comes back by its restart policies and serves v2 again with no command; reports the recovery time', {
    timeout: 150_000,
  }, async () => {
    expect((await getVersion(stack.httpPort)).version).toBe('v2');
    const recoveryMs = await restartEngine(async () => (await getVersion(stack.httpPort)).version === 'v2');
    for (let i = 0; i < 10; i++) expect((await getVersion(stack.httpPort)).version).toBe('v2');
    expect((await stack.readState()).linked).toBe('green');
    console.log(JSON.stringify({ engineRestart: 'compose', engineAnsweredToServedMs: Math.round(recoveryMs) }));
  });
});
