import type { Command } from 'commander';
import { globalOptions } from '../options.js';

// `promote` and `abort`: end a running `deploy --canary` by hand. The deploy holds the lock, so
// these do not take it: they leave a request beside the state file, which the canary takes at
// its next poll (at most a second later), and wait until it has.

export function registerCanaryVerbs(program: Command): void {
  for (const [verb, description] of [
    ['promote', 'end a running canary now: switch all traffic to the new colour'],
    ['abort', 'end a running canary now: all traffic back to the old colour, the new one stopped'],
  ] as const) {
    program
      .command(verb)
      .argument('[service]', 'the service whose canary to end (may be omitted when there is one)')
      .description(description)
      .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
        const global = globalOptions(cmd);
        const { buildApp, loadSettings, pickService, requestCanaryAction } = await import('../verbs.js');
        const svc = pickService(buildApp(await loadSettings(global)), name, verb);
        const taken = await requestCanaryAction(svc, verb);
        process.stdout.write(`${verb}: ${taken}\n`);
      });
  }
}
