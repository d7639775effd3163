import path from 'node:path';
import { ConfigError, messageOf } from '../core/errors.js';
import { safeCertificateHost } from '../core/routing.js';
import { safeFsPath } from '../core/safe-values.js';
import type { AcmeSettings } from '../core/settings.js';
import type { ParsedConfig } from './schema.js';

// haproxy.tls.acme as the rest of linkswitch uses it: the directory URL, absolute paths, and the
// hosts (given, or every exact host the services route). Refused here, before anything runs: a
// wildcard (HTTP-01 cannot prove one), a host HAProxy or the CA would not take, a directory that
// is not HTTPS.

type ParsedAcme = NonNullable<NonNullable<ParsedConfig['haproxy']['tls']>['acme']>;

export const ACME_DIRECTORIES = {
  production: 'https://acme-v02.api.letsencrypt.org/directory',
  staging: 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

export function acmeSettings(
  acme: ParsedAcme,
  file: string,
  abs: (p: string) => string,
  context: { routeHosts: string[]; configFile: string },
): AcmeSettings {
  const where = `${file}: haproxy.tls.acme`;
  const directoryUrl = directoryUrlOf(acme.directory, where);
  const hosts = acme.hosts
    ? acme.hosts.map((h, i) => safeCertificateHost(h, `${where}.hosts[${i}]`))
    : context.routeHosts.filter((h) => !h.startsWith('*.'));
  if (hosts.length === 0)
    throw new ConfigError(`${where}: no host to get a certificate for (the routes name none, or only wildcards)`, {
      fix: 'give services routes by host, or list the hosts in haproxy.tls.acme.hosts',
    });
  const dir = abs(acme.dir ?? path.join(path.dirname(context.configFile), 'acme'));
  const directoryCa = acme.directoryCa ? abs(acme.directoryCa) : null;
  for (const [key, value] of [
    ['dir', dir],
    ['directoryCa', directoryCa],
  ] as const) {
    if (value === null) continue;
    try {
      safeFsPath(value, `haproxy.tls.acme.${key}`);
    } catch (error) {
      throw new ConfigError(`${where}.${key}: ${messageOf(error)}`, {
        fix: 'choose a path without spaces, quotes or "#"',
      });
    }
  }
  return {
    email: acme.email,
    directoryUrl,
    directoryCa,
    keyType: acme.keyType,
    hosts: [...new Set(hosts)].sort(),
    dir,
  };
}

function directoryUrlOf(directory: string, where: string): string {
  if (directory === 'production' || directory === 'staging') return ACME_DIRECTORIES[directory];
  let url: URL | null = null;
  try {
    url = new URL(directory);
  } catch {
    // reported below
  }
  // RFC 8555 §6.1: ACME runs over HTTPS only.
  if (url?.protocol !== 'https:' || url.username || url.password)
    throw new ConfigError(
      `${where}.directory: ${JSON.stringify(directory)} is not production, staging or an https:// URL`,
      {
        fix: "use production (Let's Encrypt), staging (its test CA) or your CA's directory URL",
      },
    );
  return url.href;
}
