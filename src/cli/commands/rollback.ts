import type { Command } from 'commander';
import { describeStep } from '../../core/plan.js';
import { rollback } from '../../core/service.js';
import { createContext } from '../context.js';
import { printJson, printResult } from '../output.js';
import { globalOptions } from '../options.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('switch traffic back to the warm previous colour (no container is created)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { service } = await createContext(globalOptions(cmd));
      const result = await rollback(service, { dryRun: opts.dryRun });
      if (opts.dryRun) return opts.json ? printJson(result.plan) : console.log(result.plan.map(describeStep).join('\n'));
      printResult('rollback', result, opts.json ?? false);
    });
}
