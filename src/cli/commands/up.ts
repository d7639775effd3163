import type { Command } from 'commander';
import { buildApp, loadSettings } from '../../app/root.js';
import { up } from '../../core/service.js';
import { globalOptions } from '../options.js';
import { printOutcome } from '../output.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('bring the stack to its recorded state: linked container, haproxy.cfg, HAProxy (idempotent)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { service } = buildApp(await loadSettings(global), global);
      const result = await up(service, { dryRun: opts.dryRun });
      printOutcome('up', result, opts);
    });
}
