import type { Command } from 'commander';
import { globalOptions } from '../options.js';

type DeployOptions = { image?: string; dryRun?: boolean; json?: boolean; canary?: boolean };

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .argument('[service]', 'the service to deploy (may be omitted when there is one)')
    .description('redeploy the idle colour, wait until healthy, switch traffic to it, keep the old colour warm')
    .option('--image <ref>', 'image to deploy (default: service.image from the config)')
    .option('--canary', "shift traffic step by step (the service's canary: settings), aborting on a regression")
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, opts: DeployOptions, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, deploy, locateVerb, pickService, reported } = await import('../verbs.js');
      await reported(global, opts, async (report, reporting) => {
        const where = await locateVerb(global, 'deploy');
        const request = { image: opts.image, dryRun: opts.dryRun, ...(opts.canary ? { canary: true } : {}) };
        const result = where.sidecar
          ? await where.sidecar.deploy({ service: name, ...request, lockWaitMs: global.lockWait })
          : await deploy(pickService(buildApp(where.settings, { ...global, ...reporting }), name, 'deploy'), request);
        report.done('deploy', result);
      });
    });
}
