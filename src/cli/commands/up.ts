import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('bring the stack to its recorded state: linked container, haproxy.cfg, HAProxy (idempotent)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, loadSettings, printOutcome, up } = await import('../verbs.js');
      const { service } = buildApp(await loadSettings(global), global);
      const result = await up(service, { dryRun: opts.dryRun });
      printOutcome('up', result, opts);
    });
}
