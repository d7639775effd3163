import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { globalOptions } from '../options.js';

type RunOptions = { image?: string; timeout?: string };

/** setTimeout's ceiling (about 24 days): "no timeout" for a console session. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;
/** What `timeout(1)` exits with when it had to kill the command. */
const TIMED_OUT_EXIT = 124;

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('[service]', 'the service whose container spec to use (may be omitted when there is one)')
    .argument('[command...]', 'after --: the command to run in the container')
    .usage('[service] [--image <ref>] -- <command...>')
    .description(
      "run a one-off container with the service's spec (migrations, tasks); removed afterwards, exit code passed through",
    )
    .option('--image <ref>', "image to run (default: the linked colour's image)")
    .option('--timeout <duration>', 'kill the container after this long (e.g. 10m)')
    .action(async (first: string | undefined, rest: string[], opts: RunOptions, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, loadSettings, parseDuration, pickService, reported, runOnce } = await import('../verbs.js');
      // Everything after `--` is the command; a word before it names the service.
      const words = first === undefined ? rest : [first, ...rest];
      const dash = process.argv.indexOf('--');
      const argv = dash < 0 ? [] : process.argv.slice(dash + 1);
      const name = words.length > argv.length ? words[0] : undefined;
      await reported(global, { json: true }, async (_report, reporting) => {
        if (argv.length === 0)
          throw new ConfigError('run: no command given', {
            fix: 'put the command after --, e.g. `linkswitch run web -- bin/migrate`',
          });
        const timeoutMs = opts.timeout === undefined ? NO_TIMEOUT_MS : parseDuration(opts.timeout);
        if (timeoutMs === undefined)
          throw new ConfigError(`run: invalid --timeout ${JSON.stringify(opts.timeout)}`, {
            fix: 'write e.g. "90s" or "10m"',
          });
        const settings = await loadSettings(global);
        const svc = pickService(buildApp(settings, { ...global, ...reporting }), name, 'run');
        const result = await runOnce(svc, {
          argv,
          image: opts.image,
          timeoutMs,
          onLine: (line) => process.stdout.write(`${line}\n`),
        });
        if (result.timedOut) process.stderr.write(`linkswitch: run: killed after ${opts.timeout}\n`);
        process.exitCode = result.timedOut ? TIMED_OUT_EXIT : (result.exitCode ?? 1);
      });
    });
}
