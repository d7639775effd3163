import type { Logger } from 'pino';
import type { Colour } from '../core/colour.js';
import { NotWarmError } from '../core/errors.js';
import { isRetiredName } from '../core/naming.js';
import type { ColourEvent, ObservedContainer } from '../core/ports.js';
import type { State } from '../core/state.js';
import type { Metrics } from './metrics.js';

// What the sidecar does when a colour's container dies or turns unhealthy. The decision is a
// pure function of the event, the recorded state and the --failover flag; `Failover` carries it
// out: it says so loudly and switches to the warm colour when that is allowed and possible.

export type FailoverDecision = 'ignore' | 'idle-colour' | 'report-only' | 'fail-over';

export function decideFailover(event: ColourEvent, state: State | null, enabled: boolean): FailoverDecision {
  if (event.action !== 'die' && event.action !== 'unhealthy') return 'ignore';
  // A deploy removes its retired container after the switch, when that colour is linked: the
  // death of the old container (same colour label) says nothing about the linked one.
  if (isRetiredName(event.container)) return 'ignore';
  if (!state || state.linked !== event.colour) return 'idle-colour';
  return enabled ? 'fail-over' : 'report-only';
}

export interface FailoverOptions {
  enabled: boolean;
  log: Logger;
  metrics: Metrics;
  signal: AbortSignal;
  readState(): Promise<State | null>;
  /** The rollback to the warm colour; resolves with the colour now linked. */
  rollback(): Promise<{ linked: State['linked'] }>;
}

function describe(event: ColourEvent): string {
  if (event.action !== 'die') return 'is unhealthy';
  return `stopped${event.exitCode === null ? '' : ` (exit code ${event.exitCode})`}`;
}

export class Failover {
  constructor(private readonly options: FailoverOptions) {}

  async handle(event: ColourEvent): Promise<void> {
    const { log, metrics } = this.options;
    const state = await this.options.readState().catch(() => null);
    const decision = decideFailover(event, state, this.options.enabled);
    if (decision === 'ignore') return;
    const what = describe(event);
    const fields = { colour: event.colour, container: event.container };
    if (decision === 'idle-colour') {
      log.info(fields, `The idle colour's container ${what}; traffic is not affected`);
      return;
    }
    metrics.linkedFailed(event.action);
    log.error(
      { ...fields, event: event.action, exitCode: event.exitCode },
      `LINKED COLOUR ${event.colour.toUpperCase()} FAILED: its container ${what} while serving traffic`,
    );
    if (decision === 'report-only') {
      log.error(
        { colour: event.colour },
        'Failover is off (--no-failover): run `linkswitch rollback` or `linkswitch deploy`',
      );
      return;
    }
    if (this.options.signal.aborted) return;
    try {
      // Traffic may have moved meanwhile (a deploy finished): then there is nothing to fail over.
      const current = await this.options.readState();
      if (current?.linked !== event.colour) return;
      const result = await this.options.rollback();
      log.warn({ from: event.colour, to: result.linked }, `Failed over to ${result.linked}, the warm colour`);
    } catch (error) {
      if (error instanceof NotWarmError) {
        log.error(
          { colour: event.colour },
          `Cannot fail over: ${error.message}; the service has no healthy linked colour until one is deployed`,
        );
      }
      // Other failures were logged by the operation that ran the rollback.
    }
  }

  /** After a reconnect to Docker, events may have been missed: look at the linked colour directly. */
  async resync(inspect: (colour: Colour) => Promise<ObservedContainer | null>): Promise<void> {
    const state = await this.options.readState().catch(() => null);
    if (!state) return;
    const container = await inspect(state.linked).catch(() => null);
    if (container && !container.running) {
      await this.handle({
        service: state.service,
        colour: state.linked,
        container: container.name,
        action: 'die',
        exitCode: container.exitCode,
      });
    }
  }
}
