import type { Colour } from './colour.js';

// Deploy hooks: what runs when, and what each one is told. The executor runs them as plan steps
// through the HookPort (src/adapters/hook-runner.ts); a failing `pre-deploy` or `pre-switch`
// aborts the deploy before any traffic moves, a failing `post-*` or `on-failure` hook is reported
// and changes nothing.

export const HOOK_PHASES = ['pre-deploy', 'pre-switch', 'post-switch', 'post-rollback', 'on-failure'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** Hooks whose failure stops the deploy (nothing has switched yet). */
export const BLOCKING_PHASES: readonly HookPhase[] = ['pre-deploy', 'pre-switch'];

/** The phases a service has hooks for (`service.hooks`' keys). */
export function configuredPhases(hooks: Partial<Record<HookPhase, unknown>>): HookPhase[] {
  return Object.keys(hooks) as HookPhase[];
}

export type HookSettings =
  | { kind: 'command'; argv: string[]; timeout: number }
  /** A one-off container from the new image with the service's spec; `argv` is its command. */
  | { kind: 'container'; argv: string[]; timeout: number };

export interface HookContext {
  service: string;
  phase: HookPhase;
  /** The colour being deployed (or rolled back to). */
  colour: Colour;
  image: string;
  generation: number;
  /** The colour serving when the hook runs. */
  linked: Colour;
  /** "host:port" where the new colour answers (probe address), or null before it exists. */
  address: string | null;
  /** on-failure: the failure's one-line message. */
  error?: string | undefined;
}

export interface HookResult {
  phase: HookPhase;
  kind: HookSettings['kind'];
  argv: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The hook's output (stdout and stderr interleaved), its last 64 KiB. */
  output: string;
}

export interface HookPort {
  run(hook: HookSettings, context: HookContext, onLine: (line: string) => void): Promise<HookResult>;
}

/** What a hook finds in its environment (the same names for host commands and containers). */
export function hookEnvironment(context: HookContext): Record<string, string> {
  return {
    LINKSWITCH_SERVICE: context.service,
    LINKSWITCH_HOOK: context.phase,
    LINKSWITCH_COLOUR: context.colour,
    LINKSWITCH_IMAGE: context.image,
    LINKSWITCH_GENERATION: String(context.generation),
    LINKSWITCH_LINKED: context.linked,
    LINKSWITCH_ADDRESS: context.address ?? '',
    ...(context.error ? { LINKSWITCH_ERROR: context.error } : {}),
  };
}
