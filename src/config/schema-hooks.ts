import { z } from 'zod';
import { DEFAULT_CANARY } from '../core/canary.js';
import { HOOK_PHASES } from '../core/hooks.js';
import { duration } from './schema-base.js';

// Deploy hooks and the compose source of a service's container.

export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;

/**
 * One hook: a host command (argument list, run without a shell, in the config's directory) or a
 * one-off container from the new image with the service's container spec.
 */
const buildHook = () =>
  z
    .object({
      command: z.array(z.string().min(1)).min(1).optional(),
      container: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
      timeout: duration(DEFAULT_HOOK_TIMEOUT_MS),
    })
    .strict()
    .superRefine((hook, ctx) => {
      if ((hook.command === undefined) === (hook.container === undefined))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: 'give either `command:` (a host command, as a list) or `container:` (run in the new image)',
        });
    });

export type ParsedHook = z.output<ReturnType<typeof buildHook>>;

const build_hooksSchema = () =>
  z
    .object(
      Object.fromEntries(HOOK_PHASES.map((phase) => [phase, z.union([buildHook(), z.array(buildHook())]).optional()])),
    )
    .strict()
    .default({}) as z.ZodType<
    Partial<Record<(typeof HOOK_PHASES)[number], ParsedHook | ParsedHook[]>>,
    z.ZodTypeDef,
    unknown
  >;

const fileList = () => z.union([z.string().transform((v) => [v]), z.array(z.string()).min(1)]);

/** `compose:` — take the container from a compose project's service, as `docker compose config` resolves it. */
const build_composeSourceSchema = () =>
  z
    .object({
      file: fileList().default(['docker-compose.yml']),
      // The compose service; default: the linkswitch service's own name.
      service: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use the compose service name')
        .optional(),
      project: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, "_" and "-"')
        .optional(),
      envFile: fileList().optional(),
      profiles: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)).default([]),
      // The compose CLI, as an argument list; default: `docker compose`, else `docker-compose`.
      command: z.array(z.string().min(1)).min(1).optional(),
    })
    .strict();

export type ComposeSource = z.output<ReturnType<typeof build_composeSourceSchema>>;

/** `canary:` — how `deploy --canary` shifts traffic and when it aborts (src/core/canary.ts). */
const build_canarySchema = () =>
  z
    .object({
      steps: z
        .array(z.number().gt(0).lt(100))
        .min(1)
        .max(20)
        .default(DEFAULT_CANARY.steps)
        .refine(
          (steps) => steps.every((s, i) => i === 0 || s > steps[i - 1]!),
          'list the percentages in increasing order',
        ),
      dwell: duration(DEFAULT_CANARY.dwell),
      poll: duration(DEFAULT_CANARY.poll).refine((ms) => ms >= 100 && ms <= 1_000, 'poll between 100ms and 1s'),
      minRequests: z.number().int().min(1).max(1_000_000).default(DEFAULT_CANARY.minRequests),
      maxErrorRate: z.number().min(0).max(1).default(DEFAULT_CANARY.maxErrorRate),
      maxLatencyRatio: z.number().min(1).max(100).default(DEFAULT_CANARY.maxLatencyRatio),
      minLatencyIncrease: duration(DEFAULT_CANARY.minLatencyIncrease),
    })
    .strict()
    .default({});

const PREVIEW_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// A header that lets a request past (preview, maintenance), and the secret value it must carry.
const headerName = () => z.string().regex(PREVIEW_NAME, 'use a header name of letters, digits, "-" and "_"');
const secretToken = () =>
  z.string().regex(/^[A-Za-z0-9._-]{16,64}$/, 'use 16-64 letters, digits, ".", "_" or "-" (e.g. openssl rand -hex 16)');

/** `preview:` — a header or cookie that sends a request to the idle colour (off by default). */
const build_previewSchema = () =>
  z
    .object({
      header: headerName().optional(),
      cookie: z.string().regex(PREVIEW_NAME, 'use a cookie name of letters, digits, "-" and "_"').optional(),
      // The value the header or cookie must carry; without one, its presence is enough.
      token: secretToken().optional(),
    })
    .strict()
    .refine((p) => p.header !== undefined || p.cookie !== undefined, 'give `header:`, `cookie:` or both');

/** `maintenance:` — who still reaches the app while `linkswitch maintenance on` answers 503. */
const build_maintenanceSchema = () =>
  z
    .object({
      allow: z
        .object({
          ips: z
            .array(
              z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'use an IPv4 address or CIDR such as 10.0.0.0/8'),
            )
            .max(100)
            .default([]),
          header: headerName().optional(),
          token: secretToken().optional(),
        })
        .strict()
        .refine((a) => (a.header === undefined) === (a.token === undefined), 'give `header:` and `token:` together')
        .default({}),
    })
    .strict()
    .default({});

// Built on first use and never for a key the config leaves out (`.optional()` answers
// undefined before the lazy schema is asked): the sidecar's config rarely has these keys, and
// zod objects cost memory there. Defaults for absent keys are applied by service-container.ts.
function lazily<T extends z.ZodTypeAny>(build: () => T): z.ZodLazy<T> {
  let built: T | undefined;
  return z.lazy(() => {
    built ??= build();
    return built;
  });
}

export const hooksSchema = lazily(build_hooksSchema);
export const composeSourceSchema = lazily(build_composeSourceSchema);
export const canarySchema = lazily(build_canarySchema);
export const previewSchema = lazily(build_previewSchema);
export const maintenanceSchema = lazily(build_maintenanceSchema);
