import type { Colour } from './colour.js';
import { HaproxyRuntimeError } from './errors.js';
import type { Clock, HaproxyPort, Progress } from './ports.js';
import type { Settings } from './settings.js';

// After a switch the old colour finishes what it was serving: wait until HAProxy shows it with
// no open sessions (bounded by deploy.drainTimeout). It keeps running, warm, for a rollback.

const POLL_MS = 50;

export async function drainColour(
  rt: { clock: Clock; haproxy: HaproxyPort; config: Settings; progress: Progress },
  colour: Colour,
): Promise<void> {
  const { clock, haproxy, config } = rt;
  const started = clock.monotonic();
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
      rt.progress.warn('Drain timed out; the old colour keeps its remaining sessions', { colour, sessions });
      return;
    }
    await clock.sleep(POLL_MS);
  }
}
