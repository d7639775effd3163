import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { container, deployedState, fakes } from '../../test/support/core-fakes.js';
import { fakeClock } from '../../test/support/fakes.js';
import { lockFileFor } from '../app/root.js';
import { parseConfig } from '../config/load.js';
import { HaproxyConfigError, ReloadFailedError } from '../core/errors.js';
import type { Service } from '../core/service.js';
import type { State } from '../core/state.js';
import { Metrics } from './metrics.js';
import { Operations } from './operations.js';

// In-flight tracking, the shutdown drain and failure accounting, against a service whose state
// store the test holds (the verb waits there) and the real lock file in a temp directory.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-ops-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup() {
  const stateFile = JSON.stringify(path.join(dir, 'state.json'));
  const yaml = `service: { name: web, image: "app:1", port: 8080 }\nstate: { file: ${stateFile} }\n`;
  const settings = parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
  let release: (state: State | null) => void = () => undefined;
  const stateRead = new Promise<State | null>((resolve) => {
    release = resolve;
  });
  const phases: string[] = [];
  // Only what `rollback` touches before it waits on the state store.
  const service = {
    config: settings,
    clock: fakeClock(),
    store: { read: () => stateRead, write: async () => undefined },
    progress: { phase: (name: string) => phases.push(name), warn: () => undefined },
  } as unknown as Service;
  const lines: Array<{ msg: string; command?: string; phase?: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const metrics = new Metrics('web');
  const abort = new AbortController();
  const ops = new Operations({ service: () => service, metrics, log, signal: abort.signal });
  return { ops, settings, lines, metrics, abort, release: (state: State | null) => release(state) };
}

describe('Operations', () => {
  it('tracks an operation under the lock; drain abandons it after the grace period and frees the lock', async () => {
    const { ops, settings, lines, release } = setup();
    const rollback = ops.rollback({}, 'api').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ops.size).toBe(1);
    expect(existsSync(lockFileFor(settings))).toBe(true);
    expect(ops.describeInFlight()).toEqual([{ command: 'rollback', phase: 'waiting-for-lock' }]);

    await ops.drain(30);
    expect(lines.map((l) => l.msg)).toContain('Waiting for the operation in flight to finish');
    expect(lines.find((l) => l.msg.startsWith('Abandoning the in-flight rollback'))).toMatchObject({
      command: 'rollback',
    });
    expect(existsSync(lockFileFor(settings))).toBe(false);

    release(null); // no state file: the rollback refuses, and is counted as a failure
    expect(await rollback).toMatchObject({ code: 'NOT_BROUGHT_UP' });
    expect(ops.size).toBe(0);
  });

  it("removes a deploy's retired container a while after answering, or at once on shutdown", async () => {
    const { settings, metrics, lines } = setup();
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const ops = new Operations({
      service: () => ({ ...f.svc, config: settings }),
      metrics,
      log,
      signal: new AbortController().signal,
      retiredRemovalDelayMs: 100,
    });
    expect((await ops.deploy({ image: 'app:2' })).state.linked).toBe('green');
    expect(ops.size).toBe(0);
    expect(existsSync(lockFileFor(settings))).toBe(false);
    expect(f.docker.retired).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(f.docker.retired).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(f.docker.retired).toEqual([]);

    // The next deploy's removal is pending when the sidecar stops: done before it exits.
    await ops.deploy({ image: 'app:3' });
    expect(f.docker.retired).toHaveLength(1);
    await ops.drain(5000);
    expect(f.docker.retired).toEqual([]);
    expect(ops.retired.size).toBe(0);
  });

  it('refuses new work once the sidecar is stopping', async () => {
    const { ops, abort } = setup();
    abort.abort();
    await expect(ops.deploy({ image: 'app:2' })).rejects.toMatchObject({ code: 'SIDECAR_UNAVAILABLE' });
  });

  it('counts reloads HAProxy refused apart from configs it rejected, by error class', () => {
    const { ops, metrics } = setup();
    ops.recordFailure('reconcile', new ReloadFailedError('HAProxy reload failed'));
    ops.recordFailure('reconcile', new HaproxyConfigError('rejected'));
    ops.recordFailure('reconcile', new HaproxyConfigError('rejected'));
    const text = metrics.render();
    expect(text).toMatch(/linkswitch_reloads_total\{service="web",result="failed"\} 1/);
    expect(text).toMatch(/linkswitch_reloads_total\{service="web",result="rejected"\} 2/);
  });
});
