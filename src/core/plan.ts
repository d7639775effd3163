import { type Colour, otherColour } from './colour.js';
import { NotWarmError } from './errors.js';
import type { HookPhase } from './hooks.js';
import { expectedMembers, membersMismatch } from './members.js';
import type { ObservedContainer, ServerView } from './ports.js';
import type { State } from './state.js';

// The pure heart of linkswitch: (state, observed containers, HAProxy's view) → the list of steps
// to run. Planning never touches the world, so every decision is unit-tested and `--dry-run`
// can print exactly what would happen.

export type Step =
  | { kind: 'mark-pending'; colour: Colour; image: string }
  | { kind: 'remove-container'; colour: Colour }
  /** Frees the colour's container name for the new container; the old one is removed last. */
  | { kind: 'retire-container'; colour: Colour }
  /** Removes the containers a deploy retired; run apart from the plan, later (core/deploy.ts). */
  | { kind: 'remove-retired'; colour: Colour }
  | { kind: 'run-container'; colour: Colour; image: string }
  | { kind: 'start-container'; colour: Colour }
  | { kind: 'wait-healthy'; colour: Colour }
  /**
   * Render haproxy.cfg with `linked` active, validate and write it if it changed: through the
   * runtime API when only servers changed, else with a reload (src/core/runtime-change.ts).
   * fresh: the colour's container is new, so HAProxy checks it afresh before it counts as UP.
   * freshCounters: a canary or a watch window judges the new colour by HAProxy's counters, whose
   * average response time would still hold the previous container's requests: zero them.
   */
  | { kind: 'apply-config'; linked: Colour; fresh?: Colour; freshCounters?: true }
  /** Render and validate without writing: refuse a switch whose follow-up config would be rejected. */
  | { kind: 'check-config'; linked: Colour }
  | { kind: 'start-haproxy' }
  | { kind: 'wait-haproxy-up'; colour: Colour }
  | { kind: 'switch'; from: Colour; to: Colour }
  | { kind: 'record-state'; linked: Colour; image: string | null; switched: boolean }
  | { kind: 'resolve-pending' }
  /**
   * Wait until the colour's server has no open sessions (bounded by deploy.drainTimeout).
   * close: the colour's container is about to be removed, so close what is left at the timeout.
   */
  | { kind: 'drain'; colour: Colour; close?: true }
  /** keepWarm: false — the drained colour is stopped (kept for a cold rollback). */
  | { kind: 'stop-container'; colour: Colour }
  /** After the switch: judge the new colour against the old one's baseline; roll back on a regression. */
  | { kind: 'watch'; from: Colour; to: Colour; durationMs: number }
  /** Shift traffic step by step, judging the new colour against the old (src/core/run-canary.ts). */
  | { kind: 'canary'; from: Colour; to: Colour; rampMs?: number }
  /** The service's hooks of one phase, in order (src/core/hooks.ts). */
  | { kind: 'hook'; phase: HookPhase; colour: Colour; image: string };

export type Observed = Record<Colour, ObservedContainer | null>;

export interface DeployInput {
  state: State;
  observed: Observed;
  image: string;
  haproxyRunning: boolean;
  /** The engine updates an existing colour in place (Swarm service update): no removal first. */
  inPlace?: boolean;
  /** Phases the service has hooks for. */
  hooks?: readonly HookPhase[];
  /** false: stop the old colour once drained. */
  keepWarm?: boolean;
  /** `deploy --canary`: a canary step before the full switch. */
  canary?: boolean;
  /** A watch window after the switch, in ms (0: none). */
  watchMs?: number;
  /** A slow start: the switch as a ramp of weights over this many ms (0: at once). */
  slowStartMs?: number;
  /**
   * The old idle container is renamed out of the way (DockerPort.retire) instead of removed
   * before the create; its removal is the plan's last step, which the caller runs later.
   */
  retire?: boolean;
}

/** Deploy: build the idle colour fresh, gate on health twice (app, then HAProxy), switch, drain. */
export function planDeploy({
  state,
  observed,
  image,
  inPlace = false,
  hooks = [],
  keepWarm = true,
  canary = false,
  watchMs = 0,
  slowStartMs = 0,
  retire = false,
}: DeployInput): Step[] {
  const from = state.linked;
  const to = otherColour(from);
  const hook = (phase: HookPhase): Step[] =>
    hooks.includes(phase) ? [{ kind: 'hook', phase, colour: to, image }] : [];
  // Fail fast on a broken template or config, before any container is touched; migrations
  // (pre-deploy) run before anything is marked, so their failure leaves no trace in the state.
  const steps: Step[] = [
    { kind: 'check-config', linked: from },
    ...hook('pre-deploy'),
    { kind: 'mark-pending', colour: to, image },
  ];
  const replaces = Boolean(observed[to]) && !inPlace;
  const judged = canary || slowStartMs > 0 || watchMs > 0;
  // Long connections (WebSockets) still open on the old idle container get deploy.drainTimeout
  // to finish before it goes; no worker is replaced, so nothing else would ever close them.
  if (replaces)
    steps.push(
      { kind: 'drain', colour: to, close: true },
      { kind: retire ? 'retire-container' : 'remove-container', colour: to },
    );
  steps.push(
    { kind: 'run-container', colour: to, image },
    { kind: 'wait-healthy', colour: to },
    // Stage the new colour in HAProxy at weight 0 (runtime API, no reload): checked, no traffic yet.
    { kind: 'apply-config', linked: from, fresh: to, ...(judged ? { freshCounters: true as const } : {}) },
    { kind: 'wait-haproxy-up', colour: to },
    // A smoke test against the new colour: healthy, checked by HAProxy, no user traffic yet.
    ...hook('pre-switch'),
    // The config the full switch will write is checked before any user traffic moves.
    { kind: 'check-config', linked: to },
    ...(canary ? [{ kind: 'canary', from, to } as const] : []),
    ...(!canary && slowStartMs > 0 ? [{ kind: 'canary', from, to, rampMs: slowStartMs } as const] : []),
    { kind: 'switch', from, to },
    { kind: 'record-state', linked: to, image, switched: true },
    // Persist the switch so a later reload or restart keeps the new colour.
    { kind: 'apply-config', linked: to },
    { kind: 'drain', colour: from },
    // The old colour is still warm here, so a regression in the window rolls back instantly.
    ...(watchMs > 0 ? [{ kind: 'watch', from, to, durationMs: watchMs } as const] : []),
    ...(keepWarm ? [] : [{ kind: 'stop-container', colour: from } as const]),
    ...hook('post-switch'),
    // Off the path to the switch (Docker's kill and delete take 150-250 ms), run by the caller.
    ...(replaces && retire ? [{ kind: 'remove-retired', colour: to } as const] : []),
  );
  return steps;
}

export interface RollbackInput {
  state: State;
  observed: Observed;
  servers: ServerView[];
  hooks?: readonly HookPhase[];
  /** false: the old colour was stopped after its drain; rollback starts it again (not instant). */
  keepWarm?: boolean;
}

/** Why the other colour cannot take traffic right now, or null when it is warm. */
export function warmProblem(colour: Colour, state: State, observed: Observed, servers: ServerView[]): string | null {
  const container = observed[colour];
  if (!state.colours[colour] || !container) return `${colour} has no container`;
  if (!container.running) return `${colour}'s container is not running`;
  if (container.health === 'unhealthy' || container.health === 'starting')
    return `${colour}'s container is ${container.health}`;
  const server = servers.find((s) => s.colour === colour);
  if (!server) return `HAProxy has no server for ${colour}`;
  if (!server.status.startsWith('UP')) return `HAProxy sees ${colour} as ${server.status}`;
  const mismatch = membersMismatch(server, expectedMembers(container));
  if (mismatch) return `${mismatch} for ${colour}`;
  return null;
}

/**
 * Rollback: the other colour must already be warm; no container is created. With keepWarm:
 * false a stopped previous colour is started and gated again first (seconds, not milliseconds).
 */
export function planRollback({ state, observed, servers, hooks = [], keepWarm = true }: RollbackInput): Step[] {
  const from = state.linked;
  const to = otherColour(from);
  const image = state.colours[to]?.image ?? '';
  const cold = !keepWarm && state.colours[to] !== null && observed[to] !== null && !observed[to].running;
  const problem = cold ? null : warmProblem(to, state, observed, servers);
  if (problem) {
    throw new NotWarmError(`cannot roll back to ${to}: ${problem}`, {
      fix: `run \`linkswitch deploy\` to build a fresh ${to} instead`,
    });
  }
  const start: Step[] = cold
    ? [
        { kind: 'start-container', colour: to },
        { kind: 'wait-healthy', colour: to },
        { kind: 'apply-config', linked: from, fresh: to },
        { kind: 'wait-haproxy-up', colour: to },
      ]
    : [];
  return [
    ...start,
    { kind: 'check-config', linked: to },
    { kind: 'switch', from, to },
    { kind: 'record-state', linked: to, image: null, switched: true },
    { kind: 'apply-config', linked: to },
    { kind: 'drain', colour: from },
    ...(keepWarm ? [] : [{ kind: 'stop-container', colour: from } as const]),
    ...(hooks.includes('post-rollback') ? [{ kind: 'hook', phase: 'post-rollback', colour: to, image } as const] : []),
  ];
}

export interface UpInput {
  state: State;
  /** True when no state file existed and `state` is the initial one. */
  fresh: boolean;
  observed: Observed;
  haproxyRunning: boolean;
  configuredImage: string;
  /**
   * The linked colour was adopted from containers that no recorded state vouches for (HAProxy
   * was not running): gate it on its health check again before HAProxy sends it traffic.
   */
  recheckHealth?: boolean;
}

/** Up: converge on the recorded state; with nothing to fix the plan only re-checks the config. */
export function planUp({
  state,
  fresh,
  observed,
  haproxyRunning,
  configuredImage,
  recheckHealth = false,
}: UpInput): Step[] {
  const steps: Step[] = [];
  if (state.pending) steps.push({ kind: 'resolve-pending' });
  const linked = state.linked;
  const container = observed[linked];
  const image = state.colours[linked]?.image ?? configuredImage;
  let changed = fresh;
  if (!container) {
    steps.push({ kind: 'run-container', colour: linked, image }, { kind: 'wait-healthy', colour: linked });
    changed = true;
  } else if (!container.running) {
    steps.push({ kind: 'start-container', colour: linked }, { kind: 'wait-healthy', colour: linked });
  } else if (container.health === 'starting' || recheckHealth) {
    steps.push({ kind: 'wait-healthy', colour: linked });
  }
  if (changed) steps.push({ kind: 'record-state', linked, image, switched: false });
  steps.push({ kind: 'apply-config', linked });
  if (!haproxyRunning) steps.push({ kind: 'start-haproxy' });
  return steps;
}

export { describeStep } from './step-text.js';
