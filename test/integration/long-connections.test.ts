import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { expectConsistent } from '../support/consistency.js';
import { createStack, type Stack } from '../support/stack.js';

// No deploy replaces an HAProxy worker, so a WebSocket lives as long as the container it is on:
// across any number of deploys and rollbacks while its colour is not replaced, and until the
// deploy that replaces that colour, which gives it deploy.drainTimeout and then closes it.

describe('long connections across deploys', () => {
  let stack: Stack;
  const reloads = async () => {
    const answer = await sendCommand({ path: `${stack.dir}/run/master.sock`, command: 'show proc', timeoutMs: 5000 });
    return parseShowProc(answer)?.reloads ?? -1;
  };
  const cli = async (args: string[]) => {
    const result = await stack.cli(args);
    expect(result.exitCode, result.all).toBe(0);
    return result;
  };

  /** A real WebSocket client through HAProxy; `ask` sends a message and resolves with the echo. */
  const connect = async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${stack.port}/socket`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const ask = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo of ${text} within 5 s`)), 5000);
        socket.once('message', (data) => {
          clearTimeout(timer);
          resolve(String(data));
        });
        socket.send(text);
      });
    return { socket, ask, closed };
  };

  beforeAll(async () => {
    stack = await createStack('longconn');
    await stack.writeConfig({ deploy: { drainTimeout: '1s' } });
    await cli(['up']);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('a WebSocket on the linked colour keeps talking through 5 deploys and 5 rollbacks, with no reload', async () => {
    const ws = await connect();
    expect(await ws.ask('hello')).toBe('v1 hello');
    const before = await reloads();
    for (let round = 1; round <= 5; round++) {
      // Each deploy replaces the idle colour (green), never blue, which holds the connection.
      await cli(['deploy', '--image', round % 2 ? 'linkswitch-test-app:v2' : 'linkswitch-test-app:hc']);
      expect(await ws.ask(`after deploy ${round}`)).toBe(`v1 after deploy ${round}`);
      await cli(['rollback']);
      expect(await ws.ask(`after rollback ${round}`)).toBe(`v1 after rollback ${round}`);
      await expectConsistent(stack, `round ${round}`);
    }
    expect(await reloads()).toBe(before);
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
    ws.socket.close();
    await ws.closed;
  });

  it('the deploy that replaces the colour holding a WebSocket waits deploy.drainTimeout, then closes it', async () => {
    const ws = await connect();
    expect(await ws.ask('on blue')).toBe('v1 on blue');
    await cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    // Blue is idle now and still holds the connection: status says so.
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/old colour blue: 1 open connection\b/);
    expect(await ws.ask('still here')).toBe('v1 still here');

    // The next deploy replaces blue: 1 s for the connection, then it is closed.
    const started = Date.now();
    const deploy = await cli(['deploy', '--image', 'linkswitch-test-app:hc']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(deploy.all).toMatch(/closing the sessions left on the container being replaced/);
    expect(await ws.closed).toBeGreaterThan(0);
    const fresh = await connect();
    expect(await fresh.ask('new')).toBe('hc new');
    fresh.socket.close();
    await expectConsistent(stack, 'after the replacing deploy');
  });
});
