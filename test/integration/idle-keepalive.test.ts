import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, type Stack } from '../support/stack.js';

// A client that keeps its connection open but idle across a whole deploy (a browser tab, a
// pooled API client): its connection sits on a worker from before the reloads, whose proxies
// are stopped (the runtime API cannot switch them) and which knows only the colours it was
// loaded with. With `idle-close-on-response` that worker answers the connection's next request
// — from the previous colour, still warm — and closes it: one late answer at most, never an
// error; every request after it reaches the colour linked now. (Without the option HAProxy
// closes such a connection at once, and a client sending at that instant gets a reset.) Only
// the deploy's staging reload makes such a worker: the switch itself is not a reload.

describe('an idle kept-alive client across a deploy and a rollback', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await createStack('idle');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('gets at most one more answer from the previous colour, then only the linked one', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: stack.port, path: '/', agent }, (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(String(res.headers['x-version'])));
          })
          .on('error', reject);
      });
    try {
      expect(await get()).toBe('v1');
      for (const [args, version] of [
        [['deploy', '--image', 'linkswitch-test-app:v2'], 'v2'],
        [['rollback'], 'v1'],
      ] as const) {
        const result = await stack.cli([...args]);
        expect(result.exitCode, result.all).toBe(0);
        const first = await get();
        // A rollback flips weights without a reload (test/integration/switch-without-reload.test.ts):
        // the connection's worker is the running one, so not even one late answer.
        if (args[0] === 'rollback') expect(first).toBe(version);
        else expect([version === 'v2' ? 'v1' : 'v2', version]).toContain(first);
        expect(await get(), `the second request after \`${args[0]}\``).toBe(version);
        expect(await get()).toBe(version);
      }
      // Each late answer closed its connection: a new one per deploy, no more.
      expect(sockets.size).toBeLessThanOrEqual(3);
    } finally {
      agent.destroy();
    }
  });
});
