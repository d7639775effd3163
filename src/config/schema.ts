import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { LinkswitchError } from '../core/errors.js';
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

export const configSchema = z
  .object({
    service: z
      .object({
        name: z.string().superRefine(checked((v) => safeName(v, 'service name'))),
        image: z.string().superRefine(checked(safeImage)),
        port: z.number().int().min(1).max(65535),
        env: z
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
          }),
        // Names of env variables whose values are secrets: never logged, never printed.
        secretEnv: z.array(z.string()).default([]),
        labels: z
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
          }),
        command: z.array(z.string()).optional(),
        pull: z.enum(['missing', 'never', 'always']).default('missing'),
        stopTimeout: z.number().int().min(0).max(600).default(DEFAULTS.stopTimeoutS),
        memory: z
          .string()
          .regex(/^\d+[kmg]?$/i, 'use bytes or a size like "256m"')
          .optional(),
      })
      .strict(),
    health: z
      .object({
        path: z.string().default(DEFAULTS.healthPath).superRefine(checked(safeHttpPath)),
        interval: duration(DEFAULTS.healthIntervalMs),
        timeout: duration(DEFAULTS.healthTimeoutMs),
        probeTimeout: duration(DEFAULTS.probeTimeoutMs),
        // "auto": use the image's Docker HEALTHCHECK when it has one, else probe `path` over HTTP.
        use: z.enum(['auto', 'docker', 'http']).default('auto'),
      })
      .strict()
      .default({}),
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
    state: z
      .object({ file: z.string().default('haproxy/run/state.json') })
      .strict()
      .default({}),
    deploy: z
      .object({
        drainTimeout: duration(DEFAULTS.drainTimeoutMs),
        lockTtl: duration(DEFAULTS.lockTtlMs),
      })
      .strict()
      .default({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
