import { z } from 'zod';
import { safeCheckHost } from '../core/routing.js';
import { safeConfigLine, safeCryptHash, safeHttpPath, safeImage, safeToken } from '../core/safe-values.js';
import {
  bindSchema,
  checked,
  DEFAULTS,
  duration,
  ENV_KEY,
  envValue,
  errorFilesSchema,
  LABEL_KEY,
} from './schema-base.js';
import { composeContainerFields } from './schema-container.js';
import { canarySchema, composeSourceSchema, hooksSchema, maintenanceSchema, previewSchema } from './schema-hooks.js';

// One service's keys: its container, health gate, HAProxy timeouts, basic auth, routes. The same
// under `service:` (with `name`) and under each entry of `services:`.

const ENV_KEY_FIX = 'invalid environment variable name; use letters, digits and "_"';

/** Refuses record keys that do not match, each with its own path. */
function keysMatch(pattern: RegExp, message: string, reserved?: string) {
  return (record: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const key of Object.keys(record))
      if (!pattern.test(key) || (reserved && key.startsWith(reserved)))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
  };
}

const labelKeys = keysMatch(
  LABEL_KEY,
  'invalid label name; use letters, digits, ".", "_", "/" and "-", not the reserved "linkswitch." prefix',
  'linkswitch.',
);

/** The container of a service: the same keys under `service:` and under each `services:` entry. */
export const containerFields = {
  image: z.string().superRefine(checked(safeImage)),
  port: z.number().int().min(1).max(65535),
  // linkswitch's earlier names, kept: `env` (Compose: environment), `memory` (mem_limit),
  // `stopTimeout` in seconds (stop_grace_period), `pull` (pull_policy). One of each pair.
  env: z.record(z.string(), envValue).superRefine(keysMatch(ENV_KEY, ENV_KEY_FIX)).optional(),
  // Names of env variables whose values are secrets: never logged, never printed.
  secretEnv: z.array(z.string()).default([]),
  labels: z
    .union([
      z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).superRefine(labelKeys),
      z.array(z.string()),
    ])
    .optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  pull: z.enum(['missing', 'never', 'always']).optional(),
  stopTimeout: z.number().int().min(0).max(600).optional(),
  memory: z
    .string()
    .regex(/^\d+[kmg]?$/i, 'use bytes or a size like "256m"')
    .optional(),
  ...composeContainerFields,
  // Take the container from docker-compose.yml instead (src/config/compose-file.ts).
  compose: composeSourceSchema.optional(),
  hooks: hooksSchema.optional(),
  canary: canarySchema.optional(),
  // After each full switch, judge the new colour this long and roll back on a regression (0: off).
  watch: duration(0),
  // Switch as a ramp of weights (10% → 25% → 50% → 75% → 100%) over this long (0: at once).
  slowStart: duration(0),
  preview: previewSchema.optional(),
  maintenance: maintenanceSchema.optional(),
  // false: stop the old colour once drained (volumes that one writer at a time may use); a
  // rollback then starts it again and waits for its health gate instead of being instant.
  keepWarm: z.boolean().default(true),
};

export const healthSchema = z
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
export const extraLine = z.string().superRefine(checked((v) => safeConfigLine(v, 'extra line')));

// Basic auth: crypt(3) hashes only (a plain password would sit in haproxy.cfg), checked by the
// same allow-lists the template's helpers use.
export const authSchema = z
  .object({
    realm: z
      .string()
      .superRefine(checked((v) => safeToken(v, 'auth realm')))
      .optional(),
    users: z
      .record(
        z.string().superRefine(checked((v) => safeToken(v, 'auth user name'))),
        z.string().superRefine(checked(safeCryptHash)),
      )
      .refine((users) => Object.keys(users).length > 0, 'list at least one user'),
  })
  .strict();

export const timeoutsSchema = z
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
export const routeSchema = z.union([
  z.string(),
  z
    .object({
      host: z.string(),
      path: z.string().optional(),
      stripPrefix: z.boolean().default(false),
    })
    .strict(),
]);

export const multiServiceSchema = z
  .object({
    errorFiles: errorFilesSchema,
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
