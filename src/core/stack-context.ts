import { createHash } from 'node:crypto';
import path from 'node:path';
import { acmePaths } from './acme-paths.js';
import { haproxyDuration } from './duration.js';
import { UnsafeValueError } from './errors.js';
import { maintenanceMapFile } from './maintenance.js';
import type { CertificateInfo } from './ports.js';
import { routingTable } from './routing.js';
import { safeBind, safeConfigLine, safeFsPath, safeLogTarget, safeName } from './safe-values.js';
import type { Settings } from './settings.js';

// The parts of haproxy.cfg that belong to the stack rather than to one service: routing between
// the services, HTTPS, and what every request gets (forwarded headers, access logs).

/** A map file the config references by a name derived from its content. */
export interface MapFile {
  file: string;
  text: string;
  /** Created with `text` when missing, never overwritten by a render: HAProxy's runtime owns it. */
  keep?: boolean;
  /** Created as a self-signed certificate (and key) when missing: the TLS bind's default. */
  selfSigned?: boolean;
}

export interface TlsContext {
  bind: { address: string; port: number };
  /** `crt` arguments: the first is the default certificate; directories load every PEM in them. */
  certificates: string[];
  minVersion: string;
  /** Redirect code for plain HTTP (ACME challenges excepted), or null to serve plain HTTP too. */
  redirect: number | null;
  /** The Strict-Transport-Security value, or null. */
  hsts: string | null;
  /** Printed as comments: a renewed certificate changes the file, so it is reloaded. */
  inventory: Array<{ file: string; sha256: string; validTo: string }>;
  /**
   * ACME: the challenge map the HTTP frontend answers from, the crt-list of issued certificates
   * (installed at runtime, so not in the inventory: a renewal needs no reload), and the
   * self-signed default when no certificate file comes first.
   */
  acme: { challenges: string; crtList: string; defaultCertificate: string | null } | null;
}

export interface EdgeContext {
  forwardHeaders: boolean;
  /** `log` line target: `stdout`, `stderr`, a unix socket path or `address:port`; null: no access log. */
  logTarget: string | null;
  /** `format raw` for stdout/stderr (no syslog header in `docker logs`). */
  logRaw: boolean;
  logFormat: 'http' | 'json';
  clientTimeout: string;
  stats: { address: string; port: number } | null;
  extraFrontendLines: string[];
  /** Error pages for every service (`errorfile` in `defaults`). */
  errorFiles: ErrorFileContext[];
}

export interface ErrorFileContext {
  status: number;
  file: string;
}

/** `errorfile` lines, in status order. */
export function errorFileContext(files: Record<string, string>): ErrorFileContext[] {
  return Object.entries(files)
    .map(([status, file]) => ({ status: Number(status), file: safeFsPath(file, `errorfile ${status}`) }))
    .sort((a, b) => a.status - b.status);
}

export interface StackParts {
  defaultBackend: string | null;
  routing: { routes: string; wildcards: string | null } | null;
  maps: MapFile[];
  tls: TlsContext | null;
  edge: EdgeContext;
}

/**
 * Content-addressed, so a config and the maps it names never disagree: a new routing table
 * gets new files, and the running HAProxy's (older) files are never rewritten under it.
 */
function mapFile(dir: string, kind: string, pairs: Array<[string, string]>): MapFile {
  const text = pairs.map(([key, value]) => `${key} ${value}\n`).join('');
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { file: safeFsPath(path.join(dir, `${kind}-${digest}.map`), 'map file'), text };
}

const SHA256 = /^[a-f0-9]{64}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

export function stackContext(config: Settings, certificates: CertificateInfo[] = []): StackParts {
  const routed = config.services.filter((e) => e.service.routes.length > 0);
  const defaultService = config.services.find((e) => e.service.default)?.service.name;
  const defaultBackend = defaultService ? `be_${safeName(defaultService, 'service name')}` : null;
  let routing: StackParts['routing'] = null;
  const maps: MapFile[] = [];
  if (routed.length > 0) {
    const table = routingTable(
      routed.map((e) => ({ name: e.service.name, backend: `be_${e.service.name}`, routes: e.service.routes })),
    );
    const dir = path.join(path.dirname(config.haproxy.configFile), 'maps');
    const routes = mapFile(dir, 'routes', table.routes);
    const wildcards = table.wildcards.length > 0 ? mapFile(dir, 'wildcards', table.wildcards) : null;
    maps.push(routes, ...(wildcards ? [wildcards] : []));
    routing = { routes: routes.file, wildcards: wildcards?.file ?? null };
  }
  // Maintenance mode's map: created empty, then HAProxy's runtime and `linkswitch maintenance` own it.
  if (config.services.some((e) => e.service.mode === 'http'))
    maps.push({ file: maintenanceMapFile(config.haproxy.configFile), text: '', keep: true });
  const tls = config.tls;
  const acme = tls?.acme ? acmePaths(tls.acme.dir) : null;
  if (acme) {
    maps.push({ file: acme.challenges, text: '', keep: true }, { file: acme.crtList, text: '', keep: true });
    if (tls?.certificates.length === 0)
      maps.push({ file: acme.defaultCertificate, text: '', keep: true, selfSigned: true });
  }
  // Unresolved (no composition root, e.g. a preview in tests): the host HAProxy's default.
  const target = config.edge.accessLog.target ?? '/dev/log';
  return {
    defaultBackend,
    routing,
    maps,
    tls: tls
      ? {
          bind: safeBind(tls.bind, 'haproxy.tls.bind'),
          certificates: tls.certificates.map((c) => safeFsPath(c, 'certificate path')),
          minVersion: tls.minVersion,
          redirect: tls.redirect,
          hsts: tls.hsts
            ? `max-age=${tls.hsts.maxAge}${tls.hsts.includeSubDomains ? '; includeSubDomains' : ''}`
            : null,
          acme: acme
            ? {
                challenges: acme.challenges,
                crtList: acme.crtList,
                defaultCertificate: tls.certificates.length === 0 ? acme.defaultCertificate : null,
              }
            : null,
          inventory: certificates.map((c) => {
            if (!SHA256.test(c.sha256) || !ISO_TIME.test(c.validTo))
              throw new UnsafeValueError(`invalid certificate details for ${c.file}`, { fix: 'report this as a bug' });
            return { file: safeFsPath(c.file, 'certificate path'), sha256: c.sha256, validTo: c.validTo };
          }),
        }
      : null,
    edge: {
      forwardHeaders: config.edge.forwardHeaders,
      logTarget: target === 'none' ? null : safeLogTarget(target),
      logRaw: target === 'stdout' || target === 'stderr',
      logFormat: config.edge.accessLog.format,
      clientTimeout: haproxyDuration(config.edge.clientTimeout),
      stats: config.edge.stats ? safeBind(config.edge.stats.bind, 'haproxy.stats.bind') : null,
      extraFrontendLines: config.edge.extraFrontendLines.map((l) => safeConfigLine(l, 'haproxy.extraFrontendLines')),
      errorFiles: errorFileContext(config.edge.errorFiles),
    },
  };
}
