import { describeStep } from '../core/plan.js';
import type { CommandResult } from '../core/service.js';

// What the verbs print on stdout: one JSON document with --json, else a few plain lines.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function summarize(verb: string, result: CommandResult): Record<string, unknown> {
  return {
    command: verb,
    service: result.state.service,
    linked: result.state.linked,
    generation: result.state.generation,
    image: result.state.colours[result.state.linked]?.image ?? null,
    switchMs: result.report?.switchMs ?? null,
    durationMs: Math.round(result.durationMs),
    configChanged: result.report?.configChanged ?? false,
    steps: result.plan.map((s) => s.kind),
    // What each hook ran, how it ended and what it printed (the last 64 KiB).
    hooks: result.report?.hooks ?? [],
    // A canary's steps and the figures each was judged on (requests, errors, average response
    // time of the new colour and of the old one), for a CI job to keep.
    ...(result.report?.canary ? { canary: result.report.canary } : {}),
  };
}

export function printResult(verb: string, result: CommandResult, json: boolean): void {
  const summary = summarize(verb, result);
  if (json) {
    printJson(summary);
    return;
  }
  const switched = summary.switchMs === null ? '' : `, switch ${Number(summary.switchMs).toFixed(1)} ms`;
  process.stdout.write(
    `${verb}: ${summary.linked} is linked (${summary.image ?? 'no image'}), generation ${summary.generation}, ` +
      `${summary.durationMs} ms${switched}\n`,
  );
}

/** Output of the verbs that change things: the plan with --dry-run, else the result. */
export function printOutcome(verb: string, result: CommandResult, opts: { dryRun?: boolean; json?: boolean }): void {
  if (opts.dryRun) {
    if (opts.json) printJson(result.plan);
    else process.stdout.write(`${result.plan.map(describeStep).join('\n')}\n`);
    return;
  }
  printResult(verb, result, opts.json ?? false);
}
