import type { Command } from 'commander';
import type { GlobalOptions } from '../app/root.js';
import { parseDuration } from '../core/duration.js';
import { ConfigError } from '../core/errors.js';

/** The program-level flags, checked here so a bad flag is named in the error. */
export function globalOptions(cmd: Command): GlobalOptions {
  const opts = cmd.optsWithGlobals<{ config?: string; lockWait?: string; events?: boolean; verbose?: boolean }>();
  let lockWait: number | undefined;
  if (opts.lockWait !== undefined) {
    lockWait = parseDuration(opts.lockWait);
    if (lockWait === undefined)
      throw new ConfigError(`invalid --lock-wait ${JSON.stringify(opts.lockWait)}`, {
        fix: 'write a duration such as "30s" or "2m"',
      });
  }
  return { config: opts.config, lockWait, events: opts.events === true, verbose: opts.verbose === true };
}
