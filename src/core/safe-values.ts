import { UnsafeValueError } from './errors.js';

// Everything that reaches haproxy.cfg or the runtime socket passes one of these checks. They are
// allow-lists, not escapers: HAProxy's config and CLI have no quoting that is safe for every
// version, so a value with a newline, ';', '#', quote or space is refused rather than escaped.

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// A DNS name (docker container names included): labels of letters, digits, '-', '_' and '.'.
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~!$&'()*+,=:@%/?-]{0,1023}$/;
const FS_PATH = /^[A-Za-z0-9._/@+=,-]{1,4096}$/;
// Docker image references: [registry[:port]/]name[:tag][@digest]; the grammar is Docker's,
// narrowed to the characters it allows at all.
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE = new RegExp(
  String.raw`^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?/)?` +
    `${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*` +
    '(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$',
);

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}

/** Service, backend and server names: lowercase letters, digits, '.', '_' and '-'. */
export function safeName(value: unknown, what = 'name'): string {
  if (typeof value === 'string' && NAME.test(value)) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  });
}

/** A host HAProxy can connect to: an IPv4 address or a DNS/container name. */
export function safeHost(value: unknown, what = 'address'): string {
  if (typeof value === 'string' && (IPV4.test(value) || HOSTNAME.test(value))) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'use an IPv4 address or a host/container name of letters, digits, ".", "_" and "-"',
  });
}

export function safeIpv4(value: unknown, what = 'IP address'): string {
  if (typeof value === 'string' && IPV4.test(value)) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'use a dotted IPv4 address such as 127.0.0.1',
  });
}

export function safePort(value: unknown, what = 'port'): number {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, { fix: 'use a whole number from 1 to 65535' });
}

export function safeWeight(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 256) return value;
  throw new UnsafeValueError(`invalid weight ${describe(value)}`, { fix: 'use a whole number from 0 to 256' });
}

/** An HTTP path for the health check: no spaces, quotes, '#', ';' or control characters. */
export function safeHttpPath(value: unknown, what = 'health path'): string {
  if (typeof value === 'string' && HTTP_PATH.test(value) && !value.includes(';') && !value.includes("'")) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'use a path starting with "/" made of URL characters, without spaces, quotes, ";" or "#"',
  });
}

/** A filesystem path written into haproxy.cfg (sockets): no spaces or characters HAProxy parses. */
export function safeFsPath(value: unknown, what = 'path'): string {
  if (typeof value === 'string' && FS_PATH.test(value)) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'use a path of letters, digits and "._/-@+=," only (no spaces, quotes or "#")',
  });
}

export function safeImage(value: unknown): string {
  if (typeof value === 'string' && value.length <= 255 && IMAGE.test(value)) return value;
  throw new UnsafeValueError(`invalid image reference ${describe(value)}`, {
    fix: 'use a Docker image reference such as "myapp:1.2" or "registry:5000/team/myapp:1.2"',
  });
}

const LOG_ADDRESS = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;

/** Where HAProxy sends access logs: stdout, stderr, a unix socket path or a UDP `address:port`. */
export function safeLogTarget(value: unknown): string {
  if (value === 'stdout' || value === 'stderr') return value;
  if (typeof value === 'string' && value.startsWith('/')) return safeFsPath(value, 'access log socket');
  const match = typeof value === 'string' ? LOG_ADDRESS.exec(value) : null;
  if (match) return `${safeIpv4(match[1], 'access log address')}:${safePort(match[2], 'access log port')}`;
  throw new UnsafeValueError(`invalid access log target ${describe(value)}`, {
    fix: 'use stdout, stderr, none, a unix socket path such as /dev/log, or "address:port"',
  });
}

/** A user name or realm: letters, digits, ".", "_" and "-". */
export function safeToken(value: unknown, what = 'value'): string {
  if (typeof value === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(value)) return value;
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, { fix: 'use letters, digits, ".", "_" and "-"' });
}

/** A crypt(3) password hash for a userlist: never a plain password, nothing HAProxy would parse. */
export function safeCryptHash(value: unknown): string {
  if (typeof value === 'string' && /^\$(1|5|6|2[aby]|y|7)\$[A-Za-z0-9./$=,]{8,300}$/.test(value)) return value;
  throw new UnsafeValueError('invalid password hash (not shown)', {
    fix: 'give a crypt(3) hash, never the password: e.g. the output of `openssl passwd -6` or `mkpasswd -m sha-512`',
  });
}

/** A user's own line of HAProxy config: one line, starting with a keyword. */
export function safeConfigLine(value: unknown, what = 'config line'): string {
  if (typeof value === 'string' && value.length <= 500 && /^\s*[a-z][^\r\n\0]*$/.test(value)) return value.trim();
  throw new UnsafeValueError(`invalid ${what} ${describe(value)}`, {
    fix: 'give one line starting with an HAProxy keyword, without newlines',
  });
}

/** An "address:port" bind from the config, as haproxy.cfg prints it; `what` names it in the error. */
export function safeBind(value: string, what: string): { address: string; port: number } {
  const [address = '', port = ''] = value.split(':');
  return { address: safeIpv4(address, `${what} address`), port: safePort(port, `${what} port`) };
}
