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
      const { buildApp, locateVerb, pickService, progressSink, reported, rollback } = await import('../verbs.js');
      await reported(global, opts, async (report, reporting) => {
        const where = await locateVerb(global, 'rollback', reporting.log);
        const request = { dryRun: opts.dryRun };
        const result = where.sidecar
          ? await where.sidecar.rollback(
              { service: name, ...request, lockWaitMs: global.lockWait },
              progressSink(reporting),
            )
          : await rollback(
              pickService(buildApp(where.settings, { ...global, ...reporting }), name, 'rollback'),
              request,
            );
        report.done('rollback', result);
      });
    });
}
