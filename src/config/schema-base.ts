import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { LinkswitchError } from '../core/errors.js';
import { safeIpv4, safePort } from '../core/safe-values.js';

// The pieces every part of the config schema uses: defaults, durations, binds, and our allow-list
// checks as zod refinements. Defaults are exported so `--help` and the docs quote the same
// numbers the code uses.

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
  statsBind: '127.0.0.1:8404',
  stateFile: 'haproxy/run/state.json',
  stateDir: 'haproxy/run/state',
  connectTimeoutMs: 2_000,
  serverTimeoutMs: 30_000,
  tunnelTimeoutMs: 3_600_000,
  clientTimeoutMs: 30_000,
  hstsMaxAgeS: 31_536_000,
} as const;

/** Turns one of our allow-list checks into a zod refinement with the same message. */
export function checked<T>(check: (value: unknown) => T) {
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

export const duration = (fallback: number) =>
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

export const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

export const bindSchema = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'use "address:port", e.g. "127.0.0.1:8080" or "0.0.0.0:80"')
  .superRefine((value, ctx) => {
    const [address = '', port = ''] = value.split(':');
    checked(safeIpv4)(address, ctx);
    checked(safePort)(port, ctx);
  });

// The statuses HAProxy's `errorfile` takes; each file is a whole HTTP response (haproxy/errors/).
export const ERROR_STATUSES = [
  '200',
  '400',
  '401',
  '403',
  '404',
  '405',
  '407',
  '408',
  '410',
  '413',
  '425',
  '429',
  '500',
  '501',
  '502',
  '503',
  '504',
] as const;

export const errorFilesSchema = z.record(z.enum(ERROR_STATUSES), z.string().min(1)).default({});
