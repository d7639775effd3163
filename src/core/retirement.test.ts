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

  it('frees the name at begin, removes only from launch on, and settles when the container is gone', async () => {
    const calls: string[] = [];
    let finish: () => void = () => {};
    const { port } = docker(async (colour) => {
      calls.push(`rename ${colour}`);
      return {
        remove: () => {
          calls.push(`remove retired ${colour}`);
          return new Promise<void>((resolve) => {
            finish = resolve;
          });
        },
      };
    });
    const retirement = new Retirement(port);
    await retirement.begin('green');
    expect(calls).toEqual(['rename green']);
    retirement.launch();
    retirement.launch();
    expect(calls).toEqual(['rename green', 'remove retired green']);
    let settled = false;
    const settling = retirement.settle().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    finish();
    await settling;
    expect(settled).toBe(true);
  });

  it('settle starts a removal nobody launched (a step failed in between)', async () => {
    const calls: string[] = [];
    const { port } = docker(async () => ({ remove: async () => void calls.push('removed') }));
    const retirement = new Retirement(port);
    await retirement.begin('blue');
    await retirement.settle();
    expect(calls).toEqual(['removed']);
    await expect(retirement.settle()).resolves.toBeUndefined();
  });

  it("throws the removal's failure when settled, and only warns after a failed step", async () => {
    const failing = async () => ({ remove: () => Promise.reject(new Error('engine said no')) });
    const first = new Retirement(docker(failing).port);
    await first.begin('green');
    first.launch();
    // Not observed for a while (the health wait): no unhandled rejection meanwhile.
    await new Promise((r) => setTimeout(r, 20));
    await expect(first.settle()).rejects.toThrow('engine said no');
    await expect(first.settle()).resolves.toBeUndefined();

    const warnings: string[] = [];
    const second = new Retirement(docker(failing).port);
    await second.begin('blue');
    await second.settleQuietly(progress(warnings));
    expect(warnings).toEqual([expect.stringMatching(/Removing the old idle container failed/)]);
  });
});
