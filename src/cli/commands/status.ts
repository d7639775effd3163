import type { Command } from 'commander';
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

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show the linked colour, each colour's image and health, and HAProxy's view of each server")
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, locateVerb, printJson, status } = await import('../verbs.js');
      const where = await locateVerb(global, 'status');
      const report = where.sidecar ? await where.sidecar.status() : await status(buildApp(where.settings).service);
      if (opts.json) printJson(report);
      else console.log(formatStatus(report));
    });
}
