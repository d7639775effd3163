import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../options.js';

// `linkswitch config check`: validates a config as a deploy would and prints what it resolves to.
// `linkswitch config migrate`: rewrites the config's deprecated keys to their current names,
// keeping its comments. The file is replaced atomically, with its mode, or not at all.
export function registerConfig(program: Command): void {
  const config = program.command('config').description('work on the config file itself');
  config
    .command('check')
    .description(
      'validate the config (schema, files, certificates, haproxy -c) and print what it resolves to; changes nothing',
    )
    .action(async (_opts: object, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, describeSettings, loadSettings, packageFile, renderCurrent } = await import('../verbs.js');
      const settings = await loadSettings(global);
      // One render is the whole haproxy.cfg (every service), checked as a deploy checks it.
      const app = buildApp(settings, global);
      await renderCurrent(app.service, { check: true });
      const shipped = packageFile('templates/haproxy.cfg.hbs');
      process.stdout.write(describeSettings(settings, app.engine.summary, shipped && path.dirname(shipped)));
      process.stderr.write(`${settings.file}: valid; haproxy -c accepted the config it renders\n`);
    });
  config
    .command('migrate')
    .description('rename deprecated keys to their current names, keeping comments (see docs/upgrading.md)')
    .option('--dry-run', 'print the migrated file on stdout instead of writing it')
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { configPath, ConfigError, errnoCode, migrateConfigText, writeFileAtomic } = await import('../verbs.js');
      const file = configPath(global.config);
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        throw new ConfigError(`cannot read config ${file}: ${errnoCode(error) ?? String(error)}`, {
          fix: 'pass --config or set LINKSWITCH_CONFIG',
          cause: error,
        });
      });
      const { text: migrated, changes } = migrateConfigText(text, file);
      if (opts.dryRun) process.stdout.write(migrated);
      if (changes.length === 0) {
        process.stderr.write(`${file}: nothing to migrate\n`);
        return;
      }
      if (!opts.dryRun) await writeFileAtomic(file, migrated, (await stat(file)).mode & 0o777);
      const verb = opts.dryRun ? 'would rename' : 'renamed';
      process.stderr.write(`${file}: ${verb} ${changes.length} key${changes.length > 1 ? 's' : ''}:\n`);
      for (const change of changes) process.stderr.write(`  ${change}\n`);
    });
}
