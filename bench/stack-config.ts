// The `haproxy:` block every bench stack shares: HAProxy on 127.0.0.1:<port> with the shipped
// templates, its config, sockets and pid file in run/ beside the config, the bench's check.

export function benchHaproxy(
  port: number,
  templates: string,
  check: { inter: string; rise: number; fall: number },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    bind: `127.0.0.1:${port}`,
    configFile: 'run/haproxy.cfg',
    templateDir: templates,
    masterSocket: 'run/master.sock',
    adminSocket: 'run/admin.sock',
    pidFile: 'run/haproxy.pid',
    check,
    ...extra,
  };
}
