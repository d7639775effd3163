import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCommand } from './haproxy-socket.js';

// What reaches HAProxy's CLI: one line per command, and a certificate as a `<<` payload of PEM
// lines only, so nothing in it can end the payload early or start another command.

describe('sendCommand with a payload', () => {
  let dir: string;
  let server: net.Server;
  const received: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-socket-'));
    server = net.createServer((socket) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => {
        received.push(text);
        socket.end('Transaction created\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'admin.sock'), resolve));
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const PEM =
    '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG1rX3v/MA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnRl\n-----END CERTIFICATE-----\n';

  it('sends the command, "<<", the PEM lines and the empty line that ends them', async () => {
    const answer = await sendCommand({
      path: path.join(dir, 'admin.sock'),
      command: 'set ssl cert /etc/a.pem',
      payload: PEM,
      timeoutMs: 2000,
    });
    expect(answer).toBe('Transaction created\n');
    expect(received.at(-1)).toBe(`set ssl cert /etc/a.pem <<\n${PEM.trim()}\n\n`);
  });

  it.each([
    ['an empty line (it would end the payload)', PEM.replace('\nMII', '\n\nMII')],
    ['a command after it', `${PEM}show info`],
    ['a separator', PEM.replace('MIIB', 'MI;B')],
  ])('refuses a payload with %s', async (_label, payload) => {
    await expect(
      sendCommand({ path: path.join(dir, 'admin.sock'), command: 'set ssl cert /etc/a.pem', payload, timeoutMs: 2000 }),
    ).rejects.toThrow(/not PEM/);
  });
});
