import type { Progress } from './ports.js';

/**
 * Every report to both: the sidecar's log and a client following the operation (the CLI's step
 * view, `--events`). Without a second one, the first as it is.
 */
export function teeProgress(first: Progress, second?: Progress): Progress {
  if (!second) return first;
  return {
    phase(name, fields) {
      first.phase(name, fields);
      second.phase(name, fields);
    },
    warn(message, fields) {
      first.warn(message, fields);
      second.warn(message, fields);
    },
    detail(text) {
      first.detail?.(text);
      second.detail?.(text);
    },
    output(line) {
      first.output?.(line);
      second.output?.(line);
    },
  };
}
