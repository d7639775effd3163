import { expect } from 'vitest';
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
  return report;
}
