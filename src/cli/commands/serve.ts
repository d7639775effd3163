import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { ConfigError } from '../../core/errors.js';
import { safeIpv4, safePort } from '../../core/safe-values.js';
import { TOKEN_ENV, TOKEN_FILE_ENV } from '../../sidecar/protocol.js';
import { globalOptions } from '../options.js';

interface ServeFlags {
  listen?: string;
  failover: boolean;
  watch: boolean;
  shutdownGrace: string;
}

function parseListen(value: string | undefined): { host: string; port: number } | null {
  if (value === undefined) return null;
  const match = /^([\d.]+):(\d{1,5})$/.exec(value);
  if (!match)
    throw new ConfigError(`invalid --listen ${JSON.stringify(value)}`, {
      fix: 'write address:port, e.g. 127.0.0.1:9180 (0.0.0.0:9180 inside a container)',
    });
  return { host: safeIpv4(match[1], '--listen address'), port: safePort(match[2], '--listen port') };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run beside HAProxy: reconcile like `up`, watch the templates, config and Docker events, and serve the ' +
        'control API',
    )
    .option(
      '--listen <address:port>',
      `also serve the control API on TCP, if $${TOKEN_ENV} (or $${TOKEN_FILE_ENV}, re-read when it changes) holds its bearer token`,
    )
    .option(
      '--no-failover',
      "when the linked colour's container dies or turns unhealthy, only log it (default: switch to the warm colour)",
    )
    .option('--no-watch', 'do not watch the template directory and the config file')
    .option(
      '--shutdown-grace <duration>',
      'on SIGTERM, how long an operation in flight may take to finish before it is abandoned',
      '20s',
    )
    .action(async (opts: ServeFlags, cmd: Command) => {
      const shutdownGraceMs = parseDuration(opts.shutdownGrace);
      if (shutdownGraceMs === undefined)
        throw new ConfigError(`invalid --shutdown-grace ${JSON.stringify(opts.shutdownGrace)}`, {
          fix: 'write a duration such as "20s"',
        });
      const [{ Sidecar }, { createLogger }, { tokenFromEnv }] = await Promise.all([
        import('../../sidecar/sidecar.js'),
        import('../../adapters/logger.js'),
        import('../../sidecar/token.js'),
      ]);
      const log = createLogger();
      // Refused before anything starts: a short token, or both variables set.
      const token = tokenFromEnv(process.env, (outcome) => log.warn(outcome));
      const sidecar = await Sidecar.start(
        {
          global: globalOptions(cmd),
          listen: parseListen(opts.listen),
          token,
          failover: opts.failover,
          watch: opts.watch,
          shutdownGraceMs,
        },
        log,
      );
      // The process is the CLI's: it ends here once the sidecar has stopped its parts (watchers,
      // sockets and Docker's event stream would otherwise keep Node's event loop alive).
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          // `on`, not `once`: a second signal during the drain must not kill the process outright.
          process.on(signal, () => void sidecar.stop(signal).then(resolve));
        }
      });
      process.exit(0);
    });
}
