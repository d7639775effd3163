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
      const { buildApp, loadSettings, reported, up } = await import('../verbs.js');
      await reported(global, opts, async (report, reporting) => {
        const app = buildApp(await loadSettings(global), { ...global, ...reporting });
        // One service after the other: each `up` renders the whole file from the others' state.
        for (const service of app.stack) {
          const result = await up(service, { dryRun: opts.dryRun });
          report.done(app.settings.multi ? `up ${service.config.service.name}` : 'up', result);
        }
      });
    });
}
