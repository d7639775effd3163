import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .argument('[service]', "with several services: remove only this one's colours; HAProxy keeps serving the others")
    .description('remove both colour containers and stop the HAProxy that `up` started (the state file stays)')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, down, downService, loadSettings, pickService } = await import('../verbs.js');
      const app = buildApp(await loadSettings(global), global);
      if (name !== undefined && app.stack.length > 1) {
        const service = pickService(app, name, 'down');
        await downService(service);
        console.log(`down: ${name} removed; HAProxy keeps serving the other services`);
        return;
      }
      if (name !== undefined) pickService(app, name, 'down');
      await down(app.stack);
      console.log(`down: ${app.stack.map((s) => s.config.service.name).join(', ')} stopped`);
    });
}
