import type { Logger } from 'pino';
import { UnknownServiceError } from '../core/errors.js';
import type { Service } from '../core/service.js';
import { Failover } from './failover.js';
import { Metrics } from './metrics.js';
import { Operations } from './operations.js';

// One service of the stack as the sidecar runs it: its operations (under that service's lock),
// its failover and its counters. The sidecar keeps one per service, in config order.

export interface Unit {
  name: string;
  metrics: Metrics;
  operations: Operations;
  failover: Failover;
}

export function createUnit(options: {
  name: string;
  /** The service as configured now (a config reload replaces the objects, not the names). */
  service(): Service;
  log: Logger;
  failover: boolean;
  signal: AbortSignal;
}): Unit {
  const { name, service, log, signal } = options;
  const metrics = new Metrics(name);
  const operations = new Operations({ service, metrics, log, signal });
  const failover = new Failover({
    enabled: options.failover,
    log,
    metrics,
    signal,
    readState: () => service().store.read(),
    rollback: async () => ({ linked: (await operations.rollback({}, 'failover')).state.linked }),
  });
  return { name, metrics, operations, failover };
}

/** The unit a request names, or the only one; several and none named is refused, never guessed. */
export function unitNamed(units: Unit[], name: string | undefined): Unit {
  if (name === undefined && units.length === 1) return units[0]!;
  const unit = units.find((u) => u.name === name);
  if (unit) return unit;
  const names = units.map((u) => u.name).join(', ');
  throw new UnknownServiceError(
    name === undefined ? `name the service (${names})` : `no service ${JSON.stringify(name)} in this sidecar`,
    { fix: `use one of: ${names}` },
  );
}
