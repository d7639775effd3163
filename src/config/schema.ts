import { z } from 'zod';
import { safeHost, safeIpv4, safeName, safePort } from '../core/safe-values.js';
import { bindSchema, checked, DEFAULTS, duration, errorFilesSchema } from './schema-base.js';
import { secretsSchema } from './schema-container.js';
import {
  authSchema,
  containerFields,
  extraLine,
  healthSchema,
  multiServiceSchema,
  timeoutsSchema,
} from './schema-service.js';

// The YAML config, validated in one pass so every problem is reported with its key path.

export { DEFAULTS } from './schema-base.js';

// Certificates from an ACME CA (Let's Encrypt by default), HTTP-01 answered by HAProxy itself.
const acmeSchema = z
  .object({
    email: z.string().email(),
    // production, staging (Let's Encrypt's) or the directory URL of another CA.
    directory: z.string().default('production'),
    // PEM bundle that signs the directory's own HTTPS certificate (a private CA: Pebble, step-ca).
    directoryCa: z.string().optional(),
    termsOfServiceAgreed: z.literal(true, {
      errorMap: () => ({ message: "set termsOfServiceAgreed: true once you agree to the CA's terms of service" }),
    }),
    keyType: z.enum(['ecdsa-p256', 'rsa-2048']).default('ecdsa-p256'),
    // Default: every exact host in the services' routes that no certificate file covers.
    hosts: z.array(z.string()).min(1).optional(),
    // Account, certificates and challenge map (default: acme/ beside haproxy.configFile).
    dir: z.string().optional(),
  })
  .strict();

const tlsSchema = z
  .object({
    bind: bindSchema.default(DEFAULTS.tlsBind),
    // Files (PEM: certificate chain and key) or directories of them; the first file is the default.
    certificates: z
      .union([z.string(), z.array(z.string()).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    acme: acmeSchema.optional(),
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
  .strict()
  .refine((tls) => tls.certificates !== undefined || tls.acme !== undefined, {
    message: 'needs certificates (PEM files), acme (certificates from a CA), or both',
  });

export const configSchema = z
  .object({
    // One service on one bind, every request to it: the original config, still supported.
    service: z
      .object({
        name: z.string().superRefine(checked((v) => safeName(v, 'service name'))),
        ...containerFields,
        timeouts: timeoutsSchema,
        errorFiles: errorFilesSchema,
        auth: authSchema.optional(),
        extraLines: z.array(extraLine).max(100).default([]),
      })
      .strict()
      .optional(),
    health: healthSchema.optional(),
    // Compose's top-level secrets: name → file, mounted at /run/secrets/<name> where a service lists it.
    secrets: secretsSchema,
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
        stats: z
          .object({ bind: bindSchema.default(DEFAULTS.statsBind) })
          .strict()
          .optional(),
        // Pages HAProxy answers with itself (a dead service, a timeout): status → file.
        errorFiles: errorFilesSchema,
        extraFrontendLines: z.array(extraLine).max(100).default([]),
        configFile: z.string().default('haproxy/run/haproxy.cfg'),
        // Absent: ./templates beside the config if it has haproxy.cfg.hbs, else the shipped ones.
        templateDir: z.string().optional(),
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
