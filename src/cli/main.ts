import { Command, CommanderError } from 'commander';
import { CONFIG_ENV } from '../config/paths.js';
import { formatError, LinkswitchError } from '../core/errors.js';
import { registerCanaryVerbs } from './commands/canary.js';
import { registerCerts } from './commands/certs.js';
import { registerConfig } from './commands/config.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDockerProxy } from './commands/docker-proxy.js';
import { registerDown } from './commands/down.js';
import { registerInit } from './commands/init.js';
import { registerMaintenance } from './commands/maintenance.js';
import { registerRender } from './commands/render.js';
import { registerRollback } from './commands/rollback.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerUp } from './commands/up.js';

/** Every command and flag: what runCli parses, and what docs/cli-reference.md is generated from. */
export function buildProgram(): Command {
  const program = new Command()
    .name('linkswitch')
    .description('Zero-downtime blue/green deploys of Docker services behind HAProxy')
    .version('0.1.0')
    .option('-c, --config <file>', `config file (default: $${CONFIG_ENV} or ./linkswitch.yml)`)
    .option('--lock-wait <duration>', 'wait this long for another linkswitch to finish instead of failing at once')
    .option('--events', 'deploy, rollback, up: each step as a JSON line on stdout, then the result (or error) line')
    .option('--verbose', 'on a terminal: log lines instead of the live step view')
    .showHelpAfterError()
    .exitOverride();

  for (const register of [
    registerInit,
    registerUp,
    registerDeploy,
    registerRollback,
    registerCanaryVerbs,
    registerMaintenance,
    registerCerts,
    registerStatus,
    registerRender,
    registerDown,
    registerRun,
    registerServe,
    registerDockerProxy,
    registerConfig,
  ])
    register(program);
  return program;
}

/** The CLI: parses process.argv and runs the verb (bin.ts and the launcher call it). */
export async function runCli(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version land here with exit code 0; usage errors were already printed.
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`${formatError(error)}\n`);
      process.exitCode = error instanceof LinkswitchError ? error.exitCode : 1;
    }
  }
}
