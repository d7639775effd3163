import type { Command } from 'commander';
import { deploy } from '../../core/service.js';
import { createContext } from '../context.js';
import { globalOptions } from '../options.js';
import { printOutcome } from '../output.js';
import { connectSidecar } from '../remote.js';

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('redeploy the idle colour, wait until healthy, switch traffic to it, keep the old colour warm')
    .option('--image <ref>', 'image to deploy (default: service.image from the config)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { image?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const sidecar = await connectSidecar(global, 'deploy');
      const result = sidecar
        ? await sidecar.deploy({ image: opts.image, dryRun: opts.dryRun, lockWaitMs: global.lockWait })
        : await deploy((await createContext(global)).service, { image: opts.image, dryRun: opts.dryRun });
      printOutcome('deploy', result, opts);
    });
}
