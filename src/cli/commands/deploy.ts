import type { Command } from 'commander';
import { ConfigError as InvalidFlagError } from '../../core/errors.js';
import { globalOptions } from '../options.js';

type DeployOptions = { image?: string; dryRun?: boolean; json?: boolean; canary?: boolean; watch?: string };

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .argument('[service]', 'the service to deploy (may be omitted when there is one)')
    .description('redeploy the idle colour, wait until healthy, switch traffic to it, keep the old colour warm')
    .option('--image <ref>', 'image to deploy (default: service.image from the config)')
    .option('--canary', "shift traffic step by step (the service's canary: settings), aborting on a regression")
    .option(
      '--watch <duration>',
      'after the switch, judge the new colour this long and roll back on a regression (e.g. 5m)',
    )
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, opts: DeployOptions, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, deploy, locateVerb, parseDuration, pickService, progressSink, reported } = await import(
        '../verbs.js'
      );
      const watchMs = opts.watch === undefined ? undefined : parseDuration(opts.watch);
      if (opts.watch !== undefined && watchMs === undefined)
        throw new InvalidFlagError(`deploy: invalid --watch ${JSON.stringify(opts.watch)}`, {
          fix: 'write e.g. "90s" or "5m"',
        });
      await reported(global, opts, async (report, reporting) => {
        const where = await locateVerb(global, 'deploy', reporting.log);
        const request = {
          image: opts.image,
          dryRun: opts.dryRun,
          ...(opts.canary ? { canary: true } : {}),
          ...(watchMs === undefined ? {} : { watchMs }),
        };
        const result = where.sidecar
          ? await where.sidecar.deploy(
              { service: name, ...request, lockWaitMs: global.lockWait },
              progressSink(reporting),
            )
          : await deploy(pickService(buildApp(where.settings, { ...global, ...reporting }), name, 'deploy'), request);
        report.done('deploy', result);
      });
    });
}
