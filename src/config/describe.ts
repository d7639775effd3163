import path from 'node:path';
import type { Settings } from '../core/settings.js';

// `linkswitch config check`: what a config resolved to, in a few lines a person can compare with
// what they meant (defaults filled in, paths made absolute, templates found). Pure.

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `engine`: what runs the colours, in the composition root's words (it alone reads engine settings). */
export function describeSettings(settings: Settings, engine: string, shippedTemplates: string | null): string {
  const lines: string[] = [];
  for (const { service, health, state } of settings.services) {
    const source = service.composeSource
      ? `${service.composeSource.service} of ${service.composeSource.files.map((f) => path.basename(f)).join(', ')}`
      : service.image;
    const routes = service.routes.map((r) => `${r.host}${r.path ?? ''}`);
    const reach =
      service.mode === 'tcp'
        ? `tcp on ${service.bind}`
        : settings.multi
          ? `routes ${routes.join(', ') || 'none'}${service.default ? ' (default)' : ''}`
          : 'every request';
    const probe = health.use === 'docker' ? "the image's HEALTHCHECK" : `GET ${health.path}`;
    lines.push(
      `service ${service.name}: ${source}, port ${service.port}, ${reach}`,
      `  health: ${probe} (${health.use}), gives up after ${seconds(health.timeout)}; state ${state.file}`,
    );
  }
  lines.push(`engine: ${engine}`);
  const { haproxy, tls } = settings;
  lines.push(
    `haproxy: HTTP on ${haproxy.bind}${tls ? `, HTTPS on ${tls.bind} (${tls.certificates.length} certificate source${tls.certificates.length === 1 ? '' : 's'})` : ''}`,
    `  config ${haproxy.configFile}`,
    `  templates ${haproxy.templateDir}${haproxy.templateDir === shippedTemplates ? ' (the shipped ones)' : ''}`,
  );
  for (const deprecation of settings.deprecations ?? []) lines.push(`warning: ${deprecation}`);
  return `${lines.join('\n')}\n`;
}
