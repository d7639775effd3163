import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { globalOptions } from '../options.js';

type MaintenanceOptions = { message?: string; retryAfter?: string; json?: boolean };

export function registerMaintenance(program: Command): void {
  program
    .command('maintenance')
    .argument('<on|off>', 'answer 503 to every request (on), or serve again (off)')
    .argument('[service]', 'the service (may be omitted when there is one)')
    .description('maintenance mode through the runtime API (no reload): a 503 page while the colours keep running')
    .option('--message <text>', "the page's message (default: the service's 503 error page)")
    .option('--retry-after <duration>', 'Retry-After for clients, e.g. 10m (with --message; default 120 s)')
    .option('--json', 'print the result as JSON')
    .action(async (mode: string, name: string | undefined, opts: MaintenanceOptions, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, loadSettings, parseDuration, pickService, printJson, setMaintenance } = await import(
        '../verbs.js'
      );
      if (mode !== 'on' && mode !== 'off')
        throw new ConfigError(`maintenance: ${JSON.stringify(mode)} is neither on nor off`, {
          fix: 'run `linkswitch maintenance on|off [service]`',
        });
      const retry = opts.retryAfter === undefined ? undefined : parseDuration(opts.retryAfter);
      if (opts.retryAfter !== undefined && retry === undefined)
        throw new ConfigError(`maintenance: invalid --retry-after ${JSON.stringify(opts.retryAfter)}`, {
          fix: 'write e.g. "90s" or "10m"',
        });
      const svc = pickService(buildApp(await loadSettings(global)), name, 'maintenance');
      const result = await setMaintenance(svc, {
        on: mode === 'on',
        message: mode === 'on' ? (opts.message ?? null) : null,
        retryAfterS: mode === 'on' && retry !== undefined ? Math.ceil(retry / 1000) : null,
      });
      if (opts.json) printJson({ service: svc.config.service.name, ...result });
      else process.stdout.write(`maintenance ${mode}: ${svc.config.service.name}\n`);
    });
}
