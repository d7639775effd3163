import { describe, expect, it } from 'vitest';
import type { Colour } from './colour.js';
import type { DockerPort, Progress } from './ports.js';
import { Retirement } from './retirement.js';

function docker(retire?: DockerPort['retire']) {
  const calls: string[] = [];
  const port = {
    remove: async (colour: Colour) => {
      calls.push(`remove ${colour}`);
    },
    ...(retire ? { retire } : {}),
  } as unknown as DockerPort;
  return { port, calls };
}

const progress = (warnings: string[]): Progress =>
  ({ phase: () => {}, warn: (message: string) => warnings.push(message) }) as unknown as Progress;

describe('Retirement', () => {
  it('removes on the spot when the engine cannot retire', async () => {
    const { port, calls } = docker();
    await new Retirement(port).begin('green');
    expect(calls).toEqual(['remove green']);
  });

  it('returns once the name is free and settles when the container is gone', async () => {
    let finish: () => void = () => {};
    const removed = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { port, calls } = docker(async () => ({ removed }));
    const retirement = new Retirement(port);
    await retirement.begin('green');
    let settled = false;
    const settling = retirement.settle().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    finish();
    await settling;
    expect(settled).toBe(true);
    expect(calls).toEqual([]);
  });

  it("throws the removal's failure when settled, and only warns after a failed step", async () => {
    const failing = () => Promise.reject(new Error('engine said no'));
    const first = new Retirement(docker(async () => ({ removed: failing() })).port);
    await first.begin('green');
    await expect(first.settle()).rejects.toThrow('engine said no');
    await expect(first.settle()).resolves.toBeUndefined();

    const warnings: string[] = [];
    const second = new Retirement(docker(async () => ({ removed: failing() })).port);
    await second.begin('blue');
    await second.settleQuietly(progress(warnings));
    expect(warnings).toEqual([expect.stringMatching(/Removing the old idle container failed/)]);
  });
});
