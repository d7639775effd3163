import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShowProc } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { expectConsistent } from '../support/consistency.js';
import { failures, startLoad } from '../support/load.js';
import { createStack, freePort, haproxySettings, type Stack } from '../support/stack.js';
import { createCa, type TestCa } from '../support/tls.js';
import { startTlsStream } from '../support/tls-stream.js';

// HTTPS keep-alive load and a stream of new TLS connections across 10 deploys: no request fails,
// no worker is replaced, and every new connection resumes its TLS session (a reload would start
// a worker with new ticket keys and an empty cache: full handshakes, which the last step shows).

const HOST = 'app.test';

describe('HTTPS across deploys', () => {
  let stack: Stack;
  let ca: TestCa;
  let httpsPort: number;
  const reloads = async () => {
    const answer = await sendCommand({ path: `${stack.dir}/run/master.sock`, command: 'show proc', timeoutMs: 5000 });
    return parseShowProc(answer)?.reloads ?? -1;
  };

  beforeAll(async () => {
    stack = await createStack('tlsdeploys');
    ca = await createCa(path.join(stack.dir, 'ca'));
    const cert = await ca.issue({ hosts: [HOST], outDir: path.join(stack.dir, 'certs'), fileName: 'site.pem' });
    httpsPort = await freePort();
    await stack.writeConfig({
      haproxy: {
        ...haproxySettings(`127.0.0.1:${stack.port}`),
        tls: { bind: `127.0.0.1:${httpsPort}`, certificates: [cert] },
      },
    });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('0 failed requests and resumed TLS sessions through 10 deploys, with no reload', async () => {
    const before = await reloads();
    const load = startLoad({ port: httpsPort, tls: { ca: ca.pem }, hostHeader: HOST, connections: 4 });
    const stream = startTlsStream({ port: httpsPort, ca: ca.pem, servername: HOST });
    const deployEnds: number[] = [];
    for (let i = 1; i <= 10; i++) {
      const result = await stack.cli([
        'deploy',
        '--image',
        i % 2 ? 'linkswitch-test-app:v2' : 'linkswitch-test-app:v1',
      ]);
      expect(result.exitCode, result.all).toBe(0);
      deployEnds.push(performance.now());
    }
    await new Promise((r) => setTimeout(r, 300));
    const samples = await load.stop();
    const handshakes = await stream.stop();
    expect(await reloads()).toBe(before);
    await expectConsistent(stack, 'after 10 deploys');

    expect(samples.length).toBeGreaterThan(100);
    expect(failures(samples).slice(0, 3)).toEqual([]);
    expect(new Set(samples.slice(-20).map((s) => s.version))).toEqual(new Set(['v1']));
    expect(handshakes.filter((h) => h.error !== null).slice(0, 3)).toEqual([]);
    // Every connection after the first offered a ticket and was resumed, after every deploy too.
    const full = handshakes.slice(1).filter((h) => !h.resumed);
    expect(full.length, `${full.length} of ${handshakes.length} handshakes were full`).toBe(0);
    for (const end of deployEnds) expect(handshakes.some((h) => h.at > end && h.resumed)).toBe(true);
    console.log(
      `[tls-across-deploys] ${samples.length} keep-alive requests, ${handshakes.length} new TLS connections ` +
        `(${handshakes.length - 1 - full.length} resumed) across 10 deploys; 0 reloads`,
    );
  });

  it('a reload, by contrast, makes the next handshake a full one (the measurement can tell)', async () => {
    const stream = startTlsStream({ port: httpsPort, ca: ca.pem, servername: HOST, maxConnections: 5 });
    while (stream.handshakes.length < 2) await new Promise((r) => setTimeout(r, 20));
    await stream.stop();
    expect(stream.handshakes.at(-1)?.resumed).toBe(true);
    const before = await reloads();
    await sendCommand({
      path: `${stack.dir}/run/master.sock`,
      command: 'reload',
      timeoutMs: 5000,
      fireAndForget: true,
    });
    for (let i = 0; i < 100 && (await reloads().catch(() => before)) === before; i++)
      await new Promise((r) => setTimeout(r, 50));
    // The old worker may still accept for a moment: wait until it has handed over.
    await new Promise((r) => setTimeout(r, 500));
    const after = startTlsStream({
      port: httpsPort,
      ca: ca.pem,
      servername: HOST,
      maxConnections: 1,
      session: stream.session(),
    });
    while (after.handshakes.length < 1) await new Promise((r) => setTimeout(r, 20));
    const [first] = await after.stop();
    expect(first?.error).toBeNull();
    expect(first?.resumed).toBe(false);
  });
});
