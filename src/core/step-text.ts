import type { Step } from './plan.js';

// The words for each plan step: `--dry-run`, the logs and the terminal's step view show them.

/** One line per step, for `--dry-run` and logs. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'mark-pending':
      return `record that ${step.colour} is being deployed with ${step.image}`;
    case 'remove-container':
      return `remove the old ${step.colour} container`;
    case 'retire-container':
      return `rename the old ${step.colour} container out of the way (removed later, once the new colour is warm)`;
    case 'remove-retired':
      return `remove the old ${step.colour} container that was renamed out of the way`;
    case 'run-container':
      return `create and start ${step.colour} from ${step.image}`;
    case 'start-container':
      return `start the stopped ${step.colour} container`;
    case 'wait-healthy':
      return `wait until ${step.colour} is healthy`;
    case 'apply-config':
      return step.fresh
        ? `render haproxy.cfg with ${step.linked} linked; point ${step.fresh}'s server at its new container (runtime API) and write it`
        : `render haproxy.cfg with ${step.linked} linked; validate and write it if it changed, reload only if more than servers changed`;
    case 'check-config':
      return `render and validate haproxy.cfg with ${step.linked} linked`;
    case 'start-haproxy':
      return 'start HAProxy (master-worker)';
    case 'wait-haproxy-up':
      return `wait until HAProxy's health check sees ${step.colour} UP`;
    case 'switch':
      return `switch traffic from ${step.from} to ${step.to} (runtime API)`;
    case 'record-state':
      return `record ${step.linked} as linked in the state file`;
    case 'resolve-pending':
      return 'finish or discard the interrupted deploy';
    case 'drain':
      return step.close
        ? `let ${step.colour}'s open connections finish (deploy.drainTimeout), then close them before it is replaced`
        : `drain ${step.colour} and keep it warm for rollback`;
    case 'stop-container':
      return `stop ${step.colour} (keepWarm: false)`;
    case 'hook':
      return `run the ${step.phase} hooks`;
    case 'watch':
      return `watch ${step.to} for ${Math.round(step.durationMs / 1000)} s against ${step.from}'s figures; roll back on a regression`;
    case 'canary':
      return step.rampMs
        ? `slow start: ramp ${step.to} up over ${Math.round(step.rampMs / 1000)} s`
        : `canary: shift traffic to ${step.to} step by step, judging it against ${step.from}`;
  }
}
