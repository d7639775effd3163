import type { Command } from 'commander';
import { UnknownServiceError } from '../../core/errors.js';
import type { StatusReport } from '../../core/service.js';
import { globalOptions } from '../options.js';
import { shortTime, table } from '../table.js';

function formatStatus(report: StatusReport): string {
  const lines = [
    `service ${report.service}: ${report.linked ? `${report.linked} linked` : 'never brought up'}, generation ` +
      `${report.generation}, last switch ${shortTime(report.lastSwitchAt)}`,
    `haproxy: ${report.haproxy.running ? 'running' : 'not running'}` +
      (report.haproxy.error ? ` (${report.haproxy.error})` : ''),
  ];
  // Long connections (WebSockets) stay on the colour they opened on: no deploy replaces a worker.
  const idle = report.colours.find((c) => !c.linked && (c.haproxy?.sessions ?? 0) > 0);
  if (report.linked && idle?.haproxy)
    lines.push(
      `old colour ${idle.colour}: ${idle.haproxy.sessions} open connection${idle.haproxy.sessions === 1 ? '' : 's'} ` +
        '(the next deploy waits deploy.drainTimeout for them, then closes them)',
    );
  for (const note of report.certificates ?? []) lines.push(`certificate warning: ${note}`);
  if (report.adoptable)
    lines.push(`no state file: ${report.adoptable.replace(/^adopted/, '`linkswitch up` would adopt')}`);
  if (report.maintenance.on)
    lines.push(
      `maintenance: on (${report.maintenance.message ? JSON.stringify(report.maintenance.message) : 'the 503 error page'}` +
        `${report.maintenance.retryAfterS === null ? '' : `, Retry-After ${report.maintenance.retryAfterS} s`}); ` +
        '`linkswitch maintenance off` ends it',
    );
  const judged = report.judgement;
  if (judged) {
    const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
    lines.push(
      `${judged.kind === 'canary' ? `canary at ${judged.percent}%` : 'watch window'} on ${judged.colour} until ` +
        `${shortTime(judged.until)}: ${judged.fresh.attempts} requests, ${pct(judged.fresh.errorRate)} errors, ` +
        `${judged.fresh.rtimeMs} ms (${judged.kind === 'canary' ? 'old colour' : 'before the switch'}: ` +
        `${pct(judged.old.errorRate)}, ${judged.old.rtimeMs} ms)`,
    );
  }
  const canary = report.pending?.canary;
  if (report.pending && canary)
    lines.push(
      `canary of ${report.pending.colour} (${report.pending.image}): ${canary.percent}% of traffic, step ` +
        `${canary.step} of ${canary.of} since ${shortTime(canary.since)}; \`linkswitch promote\` or \`abort\` ends it`,
    );
  else if (report.pending)
    lines.push(
      `interrupted deploy of ${report.pending.colour} (${report.pending.image}) since ${report.pending.startedAt}: ` +
        `run \`linkswitch up\``,
    );
  const rows = [['', 'COLOUR', 'IMAGE', 'HEALTH', 'HAPROXY', 'WEIGHT', 'SESSIONS', 'CHECK', 'DEPLOYED']];
  for (const c of report.colours) {
    const h = c.haproxy;
    rows.push([
      c.linked ? '*' : '',
      c.colour,
      c.image ?? '-',
      c.health,
      h ? h.status : 'not in haproxy',
      h ? String(h.weight) : '-',
      h ? String(h.sessions) : '-',
      h?.checkStatus || '-',
      shortTime(c.deployedAt),
    ]);
  }
  const body = table(rows, { shrink: 2, width: process.stdout.columns });
  lines.push(body[0]!);
  report.colours.forEach((c, i) => {
    lines.push(body[i + 1]!);
    // Swarm engine: one line per task, grouped by node.
    for (const t of c.tasks ?? [])
      lines.push(
        `    task ${t.id} on ${t.node}: ` +
          `${t.state}${t.address ? ` at ${t.address}` : ''}${t.error ? ` (${t.error})` : ''}`,
      );
  });
  return lines.join('\n');
}

/** One row per service: what several services look like at a glance. */
function formatStack(reports: StatusReport[]): string[] {
  const rows = [['SERVICE', 'LINKED', 'IMAGE', 'HEALTH', 'HAPROXY', 'WEIGHT', 'LAST SWITCH', 'DEPLOYING']];
  for (const r of reports) {
    const linked = r.colours.find((c) => c.linked);
    rows.push([
      r.service,
      r.linked ?? 'never up',
      linked?.image ?? '-',
      linked?.health ?? '-',
      linked?.haproxy?.status ?? 'not in haproxy',
      linked?.haproxy ? String(linked.haproxy.weight) : '-',
      shortTime(r.lastSwitchAt),
      r.pending ? `${r.pending.colour} (${r.pending.image})` : '-',
    ]);
  }
  return table(rows, { shrink: 2, width: process.stdout.columns });
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('[service]', 'show only this service (default: every service)')
    .description("show the linked colour, each colour's image and health, and HAProxy's view of each server")
    .option('--json', 'print the status as JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd);
      const { buildApp, createLogger, locateVerb, pickService, printJson, status } = await import('../verbs.js');
      // Where it ran is a log line for --verbose and LINKSWITCH_LOG_FORMAT, not a line above a table.
      const logs = global.verbose || process.env.LINKSWITCH_LOG_FORMAT;
      const where = await locateVerb(global, 'status', logs ? undefined : createLogger('warn'));
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
        else console.log([formatStack(reports).join('\n'), ...reports.map(formatStatus)].join('\n\n'));
        return;
      }
      const report = reports[0]!;
      if (opts.json) printJson(report);
      else console.log(formatStatus(report));
    });
}
