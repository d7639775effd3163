import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostSidecar } from '../support/host-sidecar.js';
import { createStack, type Stack } from '../support/stack.js';

// The CLI's deploy removes the old idle container before the create; the sidecar's renames it
// out of the way and removes it a while after answering (at once on shutdown). What an
// interrupted sidecar deploy leaves (a `<name>-retired-<time>` container) goes with the next
// `up`, the colour's next deploy, or `down`.

describe("the old idle container: removed before the create, or renamed and removed after the sidecar's deploy", () => {
  let stack: Stack;
  const containers = async (filter: string) =>
    (await execa('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${filter}`])).stdout
      .split('\n')
      .filter(Boolean)
      .sort();
  // A stand-in for what a crash between the rename and the removal leaves: a stopped container
  // of this service with the retired name.
  const leftover = async (colour: string, suffix: string) => {
    const name = `${stack.name}-${colour}-retired-${suffix}`;
    await execa('docker', [
      'create',
      '--name',
      name,
      '--label',
      `linkswitch.service=${stack.name}`,
      'linkswitch-test-app:v1',
    ]);
    return name;
  };
  const cli = async (args: string[]) => {
    const result = await stack.cli(args);
    expect(result.exitCode, result.all).toBe(0);
    return result;
  };

  beforeAll(async () => {
    stack = await createStack('retire');
    await cli(['up']);
    await cli(['deploy', '--image', 'linkswitch-test-app:v2']);
  });

  afterAll(async () => {
    await stack?.destroy();
    const left = await containers(`${stack?.name}-`);
    if (left.length) await execa('docker', ['rm', '-f', ...left], { reject: false });
  });

  it('replaces the idle colour and leaves no retired container, also of earlier interrupted retires', async () => {
    const before = (await execa('docker', ['inspect', '--format', '{{.Id}}', `${stack.name}-blue`])).stdout;
    const stale = await leftover('blue', 'k9x2');
    const other = await leftover('green', 'k9x3');
    await cli(['deploy', '--image', 'linkswitch-test-app:v1']);
    const after = (await execa('docker', ['inspect', '--format', '{{.Id}}', `${stack.name}-blue`])).stdout;
    expect(after).not.toBe(before);
    // blue's leftovers went with blue's removal; green was not replaced, so its leftover stays.
    expect(await containers(`${stack.name}-blue-retired-`)).toEqual([]);
    expect(await containers(`${stack.name}-green-retired-`)).toEqual([other]);
    expect(await containers(stale)).toEqual([]);
    expect(await containers(`${stack.name}-`)).toEqual([`${stack.name}-blue`, `${stack.name}-green`, other].sort());
  });

  it('through the sidecar: renamed out of the way, still there once the deploy answered, removed on shutdown', async () => {
    const old = (await execa('docker', ['inspect', '--format', '{{.Id}}', `${stack.name}-green`])).stdout;
    const sidecar = await startHostSidecar(stack);
    try {
      // The CLI delegates to the sidecar that answers beside the state file.
      await cli(['deploy', '--image', 'linkswitch-test-app:v2']);
      expect((await stack.readState()).linked).toBe('green');
      // Beside the leftover of the first test (k9x3), which goes with this removal too.
      const retired = (await containers(`${stack.name}-green-retired-`)).filter((n) => !n.endsWith('-k9x3'));
      expect(retired).toHaveLength(1);
      const info = JSON.parse((await execa('docker', ['inspect', retired[0] as string])).stdout)[0];
      expect(info.Id).toBe(old);
      expect(info.State.Running).toBe(true);
      const port = info.HostConfig.PortBindings['8080/tcp'][0].HostPort;
      expect(await readFile(stack.haproxyCfg, 'utf8')).not.toContain(`:${port} `);
    } finally {
      const exited = await sidecar.stop();
      expect(exited.exitCode, exited.all).toBe(0);
    }
    expect(await containers(`${stack.name}-green-retired-`)).toEqual([]);
  });

  it('up removes what an interrupted deploy left renamed', async () => {
    await leftover('blue', 'k9x5');
    await cli(['up']);
    expect(await containers(`${stack.name}-`)).toEqual([`${stack.name}-blue`, `${stack.name}-green`]);
  });

  it('down removes both colours and any retired leftovers', async () => {
    await leftover('blue', 'k9x4');
    await cli(['down']);
    expect(await containers(`${stack.name}-`)).toEqual([]);
  });
});
