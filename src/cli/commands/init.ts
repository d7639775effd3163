import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_INIT_BIND } from '../../config/paths.js';
import { globalOptions } from '../options.js';

type InitOptions = {
  name?: string;
  image?: string;
  port?: string;
  bind: string;
  fromCompose?: string;
  service?: string;
  force?: boolean;
};

// `linkswitch init`: a starting config, from flags or from a service of a compose file. It
// writes only the config file, refuses to replace one, and checks what it wrote as `up` will.
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a starting config (./linkswitch.yml or --config) for an app, from flags or a compose file')
    .option('--name <name>', 'the service name (default: the compose service)')
    .option('--image <ref>', 'the image to run')
    .option('--port <port>', 'the port the app listens on in its container (default: from the compose file)')
    .option('--bind <address:port>', 'where HAProxy takes the traffic', DEFAULT_INIT_BIND)
    .option('--from-compose <file>', 'take the container from this compose file')
    .option('--service <name>', 'the compose service (default: --name)')
    .option('--force', 'replace an existing config file')
    .action(async (opts: InitOptions, cmd: Command) => {
      const global = globalOptions(cmd);
      const { composeServiceFacts, ConfigError, configPath, packageFile, parseConfig, starterConfig, writeFileAtomic } =
        await import('../verbs.js');
      const file = configPath(global.config);
      if (existsSync(file) && !opts.force)
        throw new ConfigError(`init: ${file} already exists`, {
          fix: 'edit it, pass --config for another file, or --force to replace it',
        });
      const schema = packageFile(path.join('schema', 'linkswitch.schema.json'));
      const schemaPath = schema ? path.relative(path.dirname(file), schema) : 'linkswitch.schema.json';
      let port = opts.port === undefined ? Number.NaN : Number(opts.port);
      let compose: { file: string; service: string } | undefined;
      const warnings: string[] = [];
      if (opts.fromCompose) {
        const service = opts.service ?? opts.name;
        if (!service) throw new ConfigError('init: no compose service named', { fix: 'pass --service NAME' });
        const composeFile = path.resolve(opts.fromCompose);
        const text = await readFile(composeFile, 'utf8').catch(() => {
          throw new ConfigError(`init: cannot read ${composeFile}`, { fix: 'give the path of your compose file' });
        });
        const facts = composeServiceFacts(text, composeFile, service);
        if (opts.port === undefined && facts.port !== null) port = facts.port;
        warnings.push(...facts.problems);
        compose = { file: path.relative(path.dirname(file), composeFile) || composeFile, service };
      }
      if (Number.isNaN(port))
        throw new ConfigError('init: no port given', { fix: 'pass --port, the port the app listens on' });
      const name = opts.name ?? compose?.service ?? '';
      const text = starterConfig({ name, image: opts.image, port, bind: opts.bind, compose, schemaPath });
      // Checked as `up` will read it (a compose-sourced one needs the compose tool: `render`).
      if (!compose) parseConfig(text, file);
      await writeFileAtomic(file, text, 0o644);
      process.stderr.write(`wrote ${file}\n`);
      for (const warning of warnings) process.stderr.write(`linkswitch: warning: ${warning}\n`);
      process.stderr.write('next: linkswitch config check, then linkswitch up\n');
    });
}
