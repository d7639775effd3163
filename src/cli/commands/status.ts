import type { Command } from 'commander';
import { UnknownServiceError } from '../../core/errors.js';
import type { StatusReport } from '../../core/service.js';
import { globalOptions } from '../options.js';

function formatStatus(report: StatusReport): string {
  const lines = [
    `service ${report.service}: ${report.linked ? `${report.linked} linked` : 'never brought up'}, generation ` +
      `${report.generation}, last switch ${report.lastSwitchAt ?? 'never'}`,
    `haproxy: ${report.haproxy.running ? 'running' : 'not running'}` +
      (report.haproxy.error ? ` (${report.haproxy.error})` : ''),
  ];
  if (report.adoptable)
    lines.push(`no state file: ${report.adoptable.replace(/^adopted/, '`linkswitch up` would adopt')}`);
  if (report.pending)
    lines.push(
      `interrupted deploy of ${report.pending.colour} (${report.pending.image}) since ${report.pending.startedAt}: ` +
        `run \`linkswitch up\``,
    );
  for (const c of report.colours) {
    const hap = c.haproxy
      ? `haproxy ${c.haproxy.status} weight ${c.haproxy.weight} sessions ${c.haproxy.sessions}`
      : 'not in haproxy';
    lines.push(
      `${c.linked ? '*' : ' '} ${c.colour.padEnd(5)} ${(c.image ?? '-').padEnd(30)} ${c.health.padEnd(12)} ${hap}`,
    );
    // Swarm engine: one line per task, grouped by node.
    for (const t of c.tasks ?? [])
      lines.push(
        `    task ${t.id} on ${t.node}: ` +
          `${t.state}${t.address ? ` at ${t.address}` : ''}${t.error ? ` (${t.error})` : ''}`,
      );
  }
  return lines.join('\n');
}

/** One line per service: what several services look like at a glance. */
function formatStackLine(report: StatusReport): string {
  const linked = report.colours.find((c) => c.linked);
  const hap = linked?.haproxy ? `${linked.haproxy.status} weight ${linked.haproxy.weight}` : 'not in haproxy';
  const pending = report.pending ? `, deploying ${report.pending.colour}` : '';
  return (
    `${report.service.padEnd(16)} ${(report.linked ?? 'never up').padEnd(8)} ${(linked?.image ?? '-').padEnd(30)} ` +
    `${(linked?.health ?? '-').padEnd(10)} ${hap}${pending}`
  );
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('[service]', 'show only this service (default: every service)')
    .description("show the linked colour, each colour's image and health, and HAProxy's view of each server")
    .option('--json', 'print the status as JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, locateVerb, pickService, printJson, status } = await import('../verbs.js');
      const where = await locateVerb(global, 'status');
      let reports: StatusReport[];
      if (where.sidecar) {
        const answer = await where.sidecar.status();
        reports = 'services' in answer ? answer.services : [answer];
      } else {
        const app = buildApp(where.settings);
        const picked = name === undefined ? app.stack : [pickService(app, name, 'status')];
        reports = await Promise.all(picked.map((svc) => status(svc)));
      }
      if (name !== undefined) {
        const one = reports.find((r) => r.service === name);
        if (!one)
          throw new UnknownServiceError(`status: no service ${JSON.stringify(name)}`, {
            fix: `use one of: ${reports.map((r) => r.service).join(', ')}`,
          });
        reports = [one];
      }
      if (reports.length > 1) {
        if (opts.json) printJson({ services: reports });
        else console.log([...reports.map(formatStackLine), '', ...reports.map(formatStatus)].join('\n'));
        return;
      }
      const report = reports[0]!;
      if (opts.json) printJson(report);
      else console.log(formatStatus(report));
    });
}
