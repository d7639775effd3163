import type { Command } from 'commander';
import { globalOptions } from '../options.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('bring the stack to its recorded state: linked container, haproxy.cfg, HAProxy (idempotent)')
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, loadSettings, reported, up } = await import('../verbs.js');
      await reported(global, opts, async (report, reporting) => {
        const app = buildApp(await loadSettings(global), { ...global, ...reporting });
        // One service after the other: each `up` renders the whole file from the others' state.
        for (const service of app.stack) {
          const result = await up(service, { dryRun: opts.dryRun });
          report.done(app.settings.multi ? `up ${service.config.service.name}` : 'up', result);
        }
        // With HAProxy serving, the certificates ACME does not hold yet (or that are due). A CA
        // problem is a warning per host: the stack is up and serves the default certificate.
        if (!opts.dryRun && app.settings.tls?.acme) {
          const { renewCertificates } = await import('../../app/certs.js');
          await renewCertificates(app.service).catch((error: Error) =>
            app.service.progress.warn('certificates not issued', { error: error.message }),
          );
        }
      });
    });
}
