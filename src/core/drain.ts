import type { Colour } from './colour.js';
import { HaproxyRuntimeError } from './errors.js';
import type { Clock, HaproxyPort, Progress } from './ports.js';
import type { Settings } from './settings.js';

// After a switch the old colour finishes what it was serving: wait until HAProxy shows it with
// no open sessions (bounded by deploy.drainTimeout). It keeps running, warm, for a rollback.
// Before a deploy replaces the idle colour's container, the same wait gives its long connections
// (a WebSocket opened before an earlier switch) their time, and then closes them explicitly.
// Requests in flight at the switch mostly end within milliseconds, so the first polls come fast
// (a rollback is done as soon as they are) and then back off, so that a long stream or upgraded
// connection is not polled 200 times a second for the whole drain timeout.

const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 50;

export async function drainColour(
  rt: { clock: Clock; haproxy: HaproxyPort; config: Settings; progress: Progress },
  colour: Colour,
  { close = false }: { close?: boolean } = {},
): Promise<void> {
  const { clock, haproxy, config } = rt;
  const started = clock.monotonic();
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    let sessions: number;
    try {
      sessions = (await haproxy.servers()).find((s) => s.colour === colour)?.sessions ?? 0;
    } catch (error) {
      if (error instanceof HaproxyRuntimeError) return; // drained or not, the switch is done
      throw error;
    }
    if (sessions === 0) return;
    if (clock.monotonic() - started >= config.deploy.drainTimeout) {
      if (!close) {
        rt.progress.warn('Drain timed out; the old colour keeps its remaining sessions', { colour, sessions });
        return;
      }
      rt.progress.warn('Drain timed out; closing the sessions left on the container being replaced', {
        colour,
        sessions,
      });
      await haproxy.closeSessions(colour);
      return;
    }
    await clock.sleep(pollMs);
    pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
  }
}
