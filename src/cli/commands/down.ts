import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('remove both colour containers and stop the HAProxy that `up` started (the state file stays)')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, down, loadSettings } = await import('../verbs.js');
      const { service } = buildApp(await loadSettings(global), global);
      await down(service);
      console.log(`down: ${service.config.service.name} stopped`);
    });
}
