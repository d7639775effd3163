import path from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../options.js';
import { table } from '../table.js';

// `linkswitch certs`: every HTTPS host, the certificate it gets (a file, ACME or HAProxy's default),
// its expiry and what is wrong with it (an order that failed, a broken or expired file); `certs renew`:
// orders what is due (or everything, --force), safe to run from a timer: a lock keeps a second
// run (the sidecar, a person) from ordering at the same time.

export function registerCerts(program: Command): void {
  const certs = program
    .command('certs')
    .description('every HTTPS host and its certificate (file or ACME): issuer, expiry, days left, last error')
    .option('--json', 'print them as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const [{ loadSettings, printJson }, { certificateRows, WARN_DAYS }] = await Promise.all([
        import('../verbs.js'),
        import('../../app/certificate-rows.js'),
      ]);
      const rows = await certificateRows(await loadSettings(globalOptions(cmd)), new Date());
      if (opts.json) return printJson({ certificates: rows });
      const lines = [['HOST', 'SOURCE', 'ISSUER', 'NOT AFTER', 'DAYS LEFT', 'LAST ERROR']];
      for (const r of rows)
        lines.push([
          r.host,
          r.source === 'file' && r.file ? `file ${path.basename(r.file)}` : r.source,
          r.issuer ?? '-',
          r.notAfter?.slice(0, 16).replace('T', ' ') ?? (r.source === 'acme' ? 'none yet' : '-'),
          r.daysLeft === null ? '-' : `${r.daysLeft}${r.daysLeft < WARN_DAYS ? ' (renew!)' : ''}`,
          r.lastError ? `${r.lastError}${r.nextAttempt ? ` (retry after ${r.nextAttempt.slice(11, 16)})` : ''}` : '-',
        ]);
      process.stdout.write(`${table(lines).join('\n')}\n`);
    });
  certs
    .command('renew')
    .argument('[host...]', 'only these hosts (default: every host that is due)')
    .description(
      'order the certificates that are missing or due (two thirds of their lifetime), install them without a reload',
    )
    .option('--force', 'order even what is not due, and past any back-off after failures')
    .option('--json', 'print the result as JSON')
    .action(async (hosts: string[], opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      // `certs renew --json`: commander gives the flag to `certs`, which has one too.
      const json = opts.json === true || cmd.parent?.opts().json === true;
      const [{ buildApp, loadSettings, printJson }, { renewCertificates }] = await Promise.all([
        import('../verbs.js'),
        import('../../app/certs.js'),
      ]);
      const app = buildApp(await loadSettings(global));
      const result = await renewCertificates(app.service, {
        ...(opts.force ? { force: true } : {}),
        ...(hosts.length > 0 ? { only: hosts } : {}),
      });
      if (json) printJson(result);
      else {
        for (const i of result.issued) process.stdout.write(`issued ${i.host}: valid until ${i.notAfter}\n`);
        for (const c of result.plan.current) process.stdout.write(`current ${c.host}: due ${c.due.toISOString()}\n`);
        for (const w of result.plan.waiting)
          process.stdout.write(`waiting ${w.host}: failed lately, next try after ${w.until.toISOString()}\n`);
      }
      if (result.failed.length > 0) {
        const { AcmeError } = await import('../../core/errors.js');
        throw new AcmeError(result.failed.map((f) => f.error).join('; '), {
          fix: 'see `linkswitch certs`; the hosts that failed keep serving their previous certificate',
        });
      }
    });
}
