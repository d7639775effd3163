import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { splitCsvLine } from '../../src/adapters/haproxy-parse.js';
import { sendCommand } from '../../src/adapters/haproxy-socket.js';
import { serverLines } from '../../src/core/runtime-change.js';
import { parseServersState, serverMismatches } from '../../src/core/runtime-servers.js';
import type { Stack } from './stack.js';

// "The state file, HAProxy's weights and the containers agree": what the crash and chaos tests
// check after every recovery, read through `linkswitch status --json`.

export interface StatusJson {
  linked: string;
  pending: unknown;
  colours: Array<{
    colour: string;
    linked: boolean;
    running: boolean;
    image: string | null;
    haproxy: { weight: number; status: string } | null;
  }>;
}

export async function statusOf(stack: Stack): Promise<StatusJson> {
  const result = await stack.cli(['status', '--json']);
  expect(result.exitCode, result.all).toBe(0);
  return JSON.parse(result.stdout);
}

/** Nothing pending, HAProxy weights exactly the linked colour, and its container runs. */
export async function expectConsistent(stack: Stack, where = ''): Promise<StatusJson> {
  const report = await statusOf(stack);
  expect(report.pending, where).toBeNull();
  const weighted = report.colours.filter((c) => (c.haproxy?.weight ?? 0) > 0).map((c) => c.colour);
  expect(weighted, where).toEqual([report.linked]);
  const linked = report.colours.find((c) => c.linked);
  expect(linked?.running, where).toBe(true);
  if (report.colours.some((c) => c.haproxy !== null)) await expectRuntimeMatchesFile(stack, where);
  return report;
}

/**
 * What HAProxy runs is what haproxy.cfg says: every server line's address, port, weight and
 * maintenance in `show servers state`, and its weight and MAINT status in `show stat`. A deploy
 * changes servers through the runtime API and writes the file without a reload, so a reload or a
 * restart must find nothing new in the file.
 */
export async function expectRuntimeMatchesFile(stack: Pick<Stack, 'dir' | 'haproxyCfg'>, where = ''): Promise<void> {
  const admin = (command: string) => sendCommand({ path: `${stack.dir}/run/admin.sock`, command, timeoutMs: 5000 });
  const desired = serverLines(await readFile(stack.haproxyCfg, 'utf8'));
  const backends = [...new Set(desired.map((s) => s.backend))];
  expect(serverMismatches(desired, parseServersState(await admin('show servers state')), backends), where).toEqual([]);
  const [header = '', ...rows] = (await admin('show stat')).split('\n');
  const columns = splitCsvLine(header.replace(/^# /, ''));
  const stat = new Map(
    rows.map(splitCsvLine).map((f) => [`${f[columns.indexOf('pxname')]}/${f[columns.indexOf('svname')]}`, f] as const),
  );
  for (const server of desired) {
    const fields = stat.get(`${server.backend}/${server.server}`);
    expect(fields, `${where} ${server.backend}/${server.server} in show stat`).toBeDefined();
    const status = fields?.[columns.indexOf('status')] ?? '';
    expect(status.startsWith('MAINT'), `${where} ${server.backend}/${server.server} is ${status}`).toBe(
      server.disabled,
    );
    expect(Number(fields?.[columns.indexOf('weight')]), `${where} ${server.backend}/${server.server} weight`).toBe(
      server.weight,
    );
  }
}
