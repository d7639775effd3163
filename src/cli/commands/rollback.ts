import type { Command } from 'commander';
import { rollback } from '../../core/service.js';
import { createContext } from '../context.js';
import { globalOptions } from '../options.js';
import { printOutcome } from '../output.js';
import { connectSidecar } from '../remote.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('switch traffic back to the warm previous colour (no container is created)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const sidecar = await connectSidecar(global, 'rollback');
      const result = sidecar
        ? await sidecar.rollback({ dryRun: opts.dryRun, lockWaitMs: global.lockWait })
        : await rollback((await createContext(global)).service, { dryRun: opts.dryRun });
      printOutcome('rollback', result, opts);
    });
}
