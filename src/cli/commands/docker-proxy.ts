import type { Command } from 'commander';
import { DEFAULT_PROXY_SOCKET } from '../../docker-proxy/socket.js';
import { globalOptions } from '../options.js';

export function registerDockerProxy(program: Command): void {
  program
    .command('docker-proxy')
    .description(
      "pass the sidecar's Docker Engine API calls to the engine when linkswitch makes such calls and the " +
        'config asks for what they create; refuse the rest (exec, privileged containers, host paths, swarm leave…)',
    )
    .option('--listen <socket>', 'the unix socket to serve (mode 600)', DEFAULT_PROXY_SOCKET)
    .option('--upstream <socket>', "the engine's unix socket", '/var/run/docker.sock')
    .option('--group-access', "mode 660 on the socket: for a sidecar that runs as another user in this process's group")
    .action(async (opts: { listen: string; upstream: string; groupAccess?: boolean }, cmd: Command) => {
      const [{ loadSettings }, { createLogger }, { allowanceFrom }, { startDockerProxy }] = await Promise.all([
        import('../../app/root.js'),
        import('../../adapters/logger.js'),
        import('../../docker-proxy/create-check.js'),
        import('../../docker-proxy/server.js'),
      ]);
      const log = createLogger();
      const global = globalOptions(cmd);
      // A config that does not load stops the proxy from starting (exit 2, the loader's message).
      // Later, each create reads it again; a broken edit keeps the last good one, with a warning.
      let last = allowanceFrom(await loadSettings(global, process.env, (m) => log.warn(m)));
      const allowance = async () => {
        try {
          last = allowanceFrom(await loadSettings(global, process.env, () => undefined));
        } catch (error) {
          log.warn({ error: String(error) }, 'Config does not load; checking against the last good one');
        }
        return last;
      };
      const proxy = await startDockerProxy({
        listen: opts.listen,
        upstream: opts.upstream,
        groupAccess: opts.groupAccess === true,
        allowance,
        log,
      });
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
      });
      await proxy.close();
      process.exit(0);
    });
}
