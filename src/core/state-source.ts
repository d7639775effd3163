import { adoptWorld } from './adopt.js';
import { COLOURS } from './colour.js';
import { AmbiguousWorldError, StateUnreadableError } from './errors.js';
import { backendName } from './haproxy-context.js';
import type { Observed } from './plan.js';
import type { Runtime } from './runtime.js';
import { initialState, type State } from './state.js';

// Where a verb's state comes from: the state file, or, when it is missing or unreadable while a
// stack runs, the running stack itself (adopt.ts). Only `up` records an adopted state; `render`
// and `status` show what it would be without writing.

export async function observe(rt: Pick<Runtime, 'docker'>): Promise<Observed> {
  const [blue, green] = await Promise.all(COLOURS.map((c) => rt.docker.inspect(c)));
  return { blue: blue ?? null, green: green ?? null };
}

export interface LoadedState {
  state: State;
  /** No state file and nothing running: a stack that was never brought up. */
  fresh: boolean;
  /** What was adopted from the running stack (one line), if the state came from it. */
  adopted: string | null;
  /** Adopted while HAProxy was not running: no live traffic vouches for the linked colour's health. */
  unverified?: boolean;
}

/** The recorded state, or the initial one when there is none (never adopts: deploy, rollback). */
export async function loadState(rt: Runtime): Promise<LoadedState> {
  const state = await rt.store.read();
  return state
    ? { state, fresh: false, adopted: null }
    : { state: initialState(rt.config.service.name), fresh: true, adopted: null };
}

/**
 * The recorded state; else the running stack's, adopted (and, with `record`, written atomically,
 * an unreadable file first moved aside); else, with nothing running, the initial state. An
 * unreadable file with nothing running to rebuild it from stays an error.
 */
export async function resolveState(rt: Runtime, { record }: { record: boolean }): Promise<LoadedState> {
  let unreadable: StateUnreadableError | null = null;
  try {
    const state = await rt.store.read();
    if (state) return { state, fresh: false, adopted: null };
  } catch (error) {
    if (!(error instanceof StateUnreadableError)) throw error;
    unreadable = error;
  }
  const service = rt.config.service.name;
  const [observed, running, liveConfig] = await Promise.all([observe(rt), rt.haproxy.running(), rt.configFile.read()]);
  const servers = running ? await rt.haproxy.servers() : null;
  const adoption = adoptWorld({
    service,
    observed,
    servers,
    liveConfig,
    backend: backendName(service),
    now: rt.clock.now(),
  });
  if (adoption.kind === 'fresh') {
    if (unreadable) throw unreadable;
    return { state: initialState(service), fresh: true, adopted: null };
  }
  if (record) {
    const aside = unreadable ? await rt.store.quarantine() : null;
    await rt.store.write(adoption.state);
    rt.progress.warn(`State file ${aside ? `unreadable (kept as ${aside})` : 'missing'}: ${adoption.summary}`);
  }
  return { state: adoption.state, fresh: false, adopted: adoption.summary, unverified: servers === null };
}

/** Without a state file, what `up` would do with the running stack (one line), for `status`. */
export async function adoptionPreview(rt: Runtime): Promise<string | null> {
  try {
    return (await resolveState(rt, { record: false })).adopted;
  } catch (error) {
    if (error instanceof AmbiguousWorldError) return `up would refuse: ${error.message}`;
    throw error;
  }
}
