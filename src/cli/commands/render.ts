import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('print the haproxy.cfg that would be written and its diff against the live one (changes nothing)')
    .option('--check', 'also validate it with `haproxy -c`')
    .action(async (opts: { check?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, loadSettings, renderCurrent, unifiedDiff } = await import('../verbs.js');
      const { service, settings: config } = buildApp(await loadSettings(global), global);
      const result = await renderCurrent(service, { check: opts.check });
      process.stdout.write(result.text);
      const diff = unifiedDiff(result.current ?? '', result.text, config.haproxy.configFile);
      process.stderr.write(diff ? `\n${diff}` : `\n# ${config.haproxy.configFile} is up to date\n`);
      if (opts.check) process.stderr.write('# haproxy -c: configuration is valid\n');
    });
}
