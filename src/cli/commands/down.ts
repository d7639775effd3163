import type { Command } from 'commander';
import { down } from '../../core/service.js';
import { createContext } from '../context.js';
import { globalOptions } from '../options.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('remove both colour containers and stop the HAProxy that `up` started (the state file stays)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { service } = await createContext(globalOptions(cmd));
      await down(service);
      console.log(`down: ${service.config.service.name} stopped`);
    });
}
