import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { LinkswitchError } from '../core/errors.js';
import { safeCheckHost } from '../core/routing.js';
import { safeHost, safeHttpPath, safeImage, safeIpv4, safeName, safePort } from '../core/safe-values.js';

// The YAML config, validated in one pass so every problem is reported with its key path.
// Defaults are exported so `--help` and the README quote the same numbers the code uses.

export const DEFAULTS = {
  healthPath: '/health',
  healthIntervalMs: 250,
  healthTimeoutMs: 60_000,
  probeTimeoutMs: 2_000,
  checkInterMs: 500,
  checkRise: 1,
  checkFall: 2,
  retries: 3,
  drainTimeoutMs: 10_000,
  stopTimeoutS: 10,
  reloadTimeoutMs: 10_000,
  lockTtlMs: 15 * 60_000,
  hardStopAfterMs: 30_000,
  bind: '127.0.0.1:8080',
  tlsBind: '127.0.0.1:8443',
  stateFile: 'haproxy/run/state.json',
  stateDir: 'haproxy/run/state',
  connectTimeoutMs: 2_000,
  serverTimeoutMs: 30_000,
  tunnelTimeoutMs: 3_600_000,
  clientTimeoutMs: 30_000,
  hstsMaxAgeS: 31_536_000,
} as const;

/** Turns one of our allow-list checks into a zod refinement with the same message. */
function checked<T>(check: (value: unknown) => T) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: error instanceof LinkswitchError ? error.shortMessage : String(error),
      });
    }
  };
}

const duration = (fallback: number) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `invalid duration ${JSON.stringify(value)}; write e.g. "500ms", "30s" or "2m"`,
        });
        return z.NEVER;
      }
      return ms;
    });

const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

const bindSchema = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'use "address:port", e.g. "127.0.0.1:8080" or "0.0.0.0:80"')
  .superRefine((value, ctx) => {
    const [address = '', port = ''] = value.split(':');
    checked(safeIpv4)(address, ctx);
    checked(safePort)(port, ctx);
  });

const envSchema = z
  .record(z.string(), envValue)
  .default({})
  .superRefine((env, ctx) => {
    for (const key of Object.keys(env)) {
      if (!ENV_KEY.test(key))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: 'invalid environment variable name; use letters, digits and "_"',
        });
    }
  });

const labelsSchema = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
      if (!LABEL_KEY.test(key) || key.startsWith('linkswitch.')) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message:
            'invalid label name; use letters, digits, ".", "_", "/" and "-", not the reserved ' +
            '"linkswitch." prefix',
        });
      }
    }
  });

/** The container of a service: the same keys under `service:` and under each `services:` entry. */
const containerFields = {
  image: z.string().superRefine(checked(safeImage)),
  port: z.number().int().min(1).max(65535),
  env: envSchema,
  // Names of env variables whose values are secrets: never logged, never printed.
  secretEnv: z.array(z.string()).default([]),
  labels: labelsSchema,
  command: z.array(z.string()).optional(),
  pull: z.enum(['missing', 'never', 'always']).default('missing'),
  stopTimeout: z.number().int().min(0).max(600).default(DEFAULTS.stopTimeoutS),
  memory: z
    .string()
    .regex(/^\d+[kmg]?$/i, 'use bytes or a size like "256m"')
    .optional(),
};

const healthSchema = z
  .object({
    path: z.string().default(DEFAULTS.healthPath).superRefine(checked(safeHttpPath)),
    interval: duration(DEFAULTS.healthIntervalMs),
    timeout: duration(DEFAULTS.healthTimeoutMs),
    probeTimeout: duration(DEFAULTS.probeTimeoutMs),
    // "auto": use the image's Docker HEALTHCHECK when it has one, else probe `path` over HTTP.
    use: z.enum(['auto', 'docker', 'http']).default('auto'),
    // Apps that check the Host header (Django's ALLOWED_HOSTS, Rails' hosts) need one in the check.
    host: z
      .string()
      .superRefine(checked((v) => safeCheckHost(v)))
      .optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
  })
  .strict()
  .default({});

// One line of HAProxy config from the user: never a second line, never a comment-out of ours.
const extraLine = z
  .string()
  .max(500)
  .regex(/^[^\r\n\0]*$/, 'one line only: no newline, carriage return or NUL')
  .regex(/^\s*[a-z]/, 'start with an HAProxy keyword (e.g. "http-request", "acl")');

// crypt(3) hashes HAProxy's libcrypt takes: MD5 ($1$), SHA-256 ($5$), SHA-512 ($6$), bcrypt
// ($2b$), yescrypt ($y$). Plain text is refused: it would sit in haproxy.cfg.
const CRYPT_HASH = /^\$(1|5|6|2[aby]|y|7)\$[A-Za-z0-9./$=,]{8,300}$/;

const authSchema = z
  .object({
    realm: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits, ".", "_" and "-"')
      .optional(),
    users: z
      .record(
        z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'user names: letters, digits, ".", "_" and "-"'),
        z
          .string()
          .regex(
            CRYPT_HASH,
            'give a crypt(3) hash, never the password: e.g. the output of `openssl passwd -6` or `mkpasswd -m sha-512`',
          ),
      )
      .refine((users) => Object.keys(users).length > 0, 'list at least one user'),
  })
  .strict();

const timeoutsSchema = z
  .object({
    connect: duration(DEFAULTS.connectTimeoutMs),
    server: duration(DEFAULTS.serverTimeoutMs),
    // WebSockets and other upgraded connections: idle time allowed once the tunnel is set up.
    tunnel: duration(DEFAULTS.tunnelTimeoutMs),
  })
  .strict()
  .default({});

// A route is `host`, `host/path/prefix`, or the long form with `stripPrefix`. Hosts are checked
// again (with the path) by the routing table's own validation in src/core/routing.ts.
const routeSchema = z.union([
  z.string(),
  z
    .object({
      host: z.string(),
      path: z.string().optional(),
      stripPrefix: z.boolean().default(false),
    })
    .strict(),
]);

const multiServiceSchema = z
  .object({
    ...containerFields,
    health: healthSchema,
    routes: z.array(routeSchema).default([]),
    default: z.boolean().default(false),
    timeouts: timeoutsSchema,
    auth: authSchema.optional(),
    extraLines: z.array(extraLine).max(100).default([]),
    mode: z.enum(['http', 'tcp']).default('http'),
    // TCP services only: the address HAProxy listens on for this service.
    bind: bindSchema.optional(),
  })
  .strict();

const tlsSchema = z
  .object({
    bind: bindSchema.default(DEFAULTS.tlsBind),
    // Files (PEM: certificate chain and key) or directories of them; the first file is the default.
    certificates: z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
    redirect: z.union([z.literal(301), z.literal(308), z.literal(false)]).default(308),
    hsts: z
      .union([
        z.literal(false),
        z
          .object({
            // Seconds, as in the header itself (default: one year).
            maxAge: z
              .number()
              .int()
              .min(0)
              .max(2 ** 31)
              .default(DEFAULTS.hstsMaxAgeS),
            includeSubDomains: z.boolean().default(false),
          })
          .strict(),
      ])
      .default(false),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  })
  .strict();

export const configSchema = z
  .object({
    // One service on one bind, every request to it: the original config, still supported.
    service: z
      .object({
        name: z.string().superRefine(checked((v) => safeName(v, 'service name'))),
        ...containerFields,
        timeouts: timeoutsSchema,
        auth: authSchema.optional(),
        extraLines: z.array(extraLine).max(100).default([]),
      })
      .strict()
      .optional(),
    health: healthSchema.optional(),
    // Several services behind one HAProxy, each reached by its routes.
    services: z
      .record(z.string(), multiServiceSchema)
      .superRefine((services, ctx) => {
        for (const name of Object.keys(services)) checked((v) => safeName(v, 'service name'))(name, ctx);
      })
      .optional(),
    network: z
      .discriminatedUnion('mode', [
        // HAProxy runs on the host; each colour publishes its port on hostIp, Docker picks the port.
        z
          .object({
            mode: z.literal('published'),
            hostIp: z.string().default('127.0.0.1').superRefine(checked(safeIpv4)),
          })
          .strict(),
        // HAProxy runs in a container on `name`; servers are addressed by container name.
        z
          .object({
            mode: z.literal('network'),
            name: z.string().superRefine(checked((v) => safeHost(v, 'network name'))),
          })
          .strict(),
      ])
      .default({ mode: 'published', hostIp: '127.0.0.1' }),
    haproxy: z
      .object({
        bind: bindSchema.default(DEFAULTS.bind),
        tls: tlsSchema.optional(),
        forwardHeaders: z.boolean().default(true),
        accessLog: z
          .object({
            // stdout/stderr (HAProxy in a container), a unix socket path (/dev/log: syslog or
            // journald), "address:port" for syslog over UDP, or "none". Default: see the loader.
            target: z
              .string()
              .regex(
                /^(stdout|stderr|none|\/[A-Za-z0-9._/-]{1,200}|\d{1,3}(\.\d{1,3}){3}:\d{1,5})$/,
                'use stdout, stderr, none, a unix socket path such as /dev/log, or "address:port" (syslog over UDP)',
              )
              .optional(),
            format: z.enum(['http', 'json']).default('http'),
          })
          .strict()
          .default({}),
        clientTimeout: duration(DEFAULTS.clientTimeoutMs),
        // HAProxy's own Prometheus exporter and stats page; keep it on 127.0.0.1 (no auth on it).
        stats: z.object({ bind: bindSchema }).strict().optional(),
        extraFrontendLines: z.array(extraLine).max(100).default([]),
        configFile: z.string().default('haproxy/run/haproxy.cfg'),
        templateDir: z.string().default('templates'),
        masterSocket: z.string().default('haproxy/run/master.sock'),
        adminSocket: z.string().default('haproxy/run/admin.sock'),
        pidFile: z.string().default('haproxy/run/haproxy.pid'),
        binary: z.string().default('haproxy'),
        check: z
          .object({
            inter: duration(DEFAULTS.checkInterMs),
            rise: z.number().int().min(1).max(100).default(DEFAULTS.checkRise),
            fall: z.number().int().min(1).max(100).default(DEFAULTS.checkFall),
          })
          .strict()
          .default({}),
        retries: z.number().int().min(0).max(100).default(DEFAULTS.retries),
        reloadTimeout: duration(DEFAULTS.reloadTimeoutMs),
        hardStopAfter: duration(DEFAULTS.hardStopAfterMs),
      })
      .strict()
      .default({}),
    // Which engine runs the colours. Absent: `container` (one container per colour on this host).
    // `swarm`: each colour is a Swarm service `<name>-<colour>` with `replicas` tasks, reached by
    // HAProxy through Docker's DNS (endpoint_mode dnsrr) on the attachable overlay `network`.
    engine: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('container') }).strict(),
        z
          .object({
            kind: z.literal('swarm'),
            replicas: z.number().int().min(1).max(64).default(2),
            // server-template slots per colour (room for replaced tasks); default 2 × replicas.
            slots: z.number().int().min(1).max(256).optional(),
            network: z.string().superRefine(checked((v) => safeHost(v, 'engine.network'))),
            constraints: z
              .array(
                z
                  .string()
                  .regex(
                    /^[A-Za-z0-9._-]+\s*(==|!=)\s*[A-Za-z0-9._-]+$/,
                    'use e.g. "node.role==manager" or "node.labels.linkswitch==app"',
                  ),
              )
              .default([]),
            update: z
              .object({
                parallelism: z.number().int().min(0).max(64).default(1),
                delay: duration(0),
                order: z.enum(['start-first', 'stop-first']).default('start-first'),
                failureAction: z.enum(['pause', 'continue', 'rollback']).default('pause'),
              })
              .strict()
              .default({}),
            // Docker's embedded DNS as seen from HAProxy's container on the overlay network.
            nameserver: z
              .string()
              .default('127.0.0.11:53')
              .superRefine(
                checked((v) => {
                  const [address = '', port = ''] = String(v).split(':');
                  safeIpv4(address, 'engine.nameserver address');
                  safePort(port, 'engine.nameserver port');
                }),
              ),
          })
          .strict(),
      ])
      .optional(),
    // One-service config: `file`. Several services: one file per service in `dir`.
    state: z.object({ file: z.string().optional(), dir: z.string().optional() }).strict().default({}),
    deploy: z
      .object({
        drainTimeout: duration(DEFAULTS.drainTimeoutMs),
        lockTtl: duration(DEFAULTS.lockTtlMs),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.service && config.services)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['services'],
        message: 'use either `service:` (one service) or `services:` (several), not both',
      });
    else if (!config.service && !config.services)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['service'],
        message: 'missing: define `service:` (one service) or `services:` (several, each with its routes)',
      });
    if (config.services && config.health)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['health'],
        message: 'with `services:`, put `health:` inside each service',
      });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
