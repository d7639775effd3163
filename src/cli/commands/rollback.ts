import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .argument('[service]', 'the service to roll back (may be omitted when there is one)')
    .description('switch traffic back to the warm previous colour (no container is created)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, eventStream, locateVerb, pickService, printOutcome, rollback } = await import('../verbs.js');
      const events = global.events ? eventStream((line) => process.stdout.write(line)) : null;
      try {
        const where = await locateVerb(global, 'rollback');
        const result = where.sidecar
          ? await where.sidecar.rollback({ service: name, dryRun: opts.dryRun, lockWaitMs: global.lockWait })
          : await rollback(
              pickService(buildApp(where.settings, { ...global, progress: events?.progress }), name, 'rollback'),
              {
                dryRun: opts.dryRun,
              },
            );
        if (events) events.result('rollback', result);
        else printOutcome('rollback', result, opts);
      } catch (error) {
        events?.failed(error);
        throw error;
      }
    });
}
