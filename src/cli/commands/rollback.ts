import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('switch traffic back to the warm previous colour (no container is created)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, locateVerb, printOutcome, rollback } = await import('../verbs.js');
      const where = await locateVerb(global, 'rollback');
      const result = where.sidecar
        ? await where.sidecar.rollback({ dryRun: opts.dryRun, lockWaitMs: global.lockWait })
        : await rollback(buildApp(where.settings, global).service, { dryRun: opts.dryRun });
      printOutcome('rollback', result, opts);
    });
}
