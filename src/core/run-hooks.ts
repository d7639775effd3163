import { HookFailedError } from './errors.js';
import { BLOCKING_PHASES, type HookContext, type HookPhase, type HookResult } from './hooks.js';
import type { Runtime } from './runtime.js';

// Runs one phase's hooks in order. A blocking phase (pre-deploy, pre-switch) stops at the first
// failure with HookFailedError, before any traffic moves; the others report a failure as a
// warning and go on, since what they follow (a switch, a rollback) has already happened.

export async function runHooks(
  rt: Runtime,
  phase: HookPhase,
  context: Omit<HookContext, 'phase' | 'service'>,
  results: HookResult[],
): Promise<void> {
  const hooks = rt.config.service.hooks[phase] ?? [];
  if (hooks.length === 0) return;
  if (!rt.hooks) throw new Error('hooks are configured but the runtime has no hook runner');
  for (const hook of hooks) {
    const result = await rt.hooks.run(hook, { ...context, phase, service: rt.config.service.name }, (line) => {
      rt.progress.detail?.(line);
      rt.progress.output?.(line);
    });
    results.push(result);
    if (result.exitCode === 0) continue;
    const how = result.timedOut
      ? `timed out after ${Math.round(hook.timeout / 1000)} s`
      : `exited with ${result.exitCode}`;
    const what = `${phase} hook \`${hook.argv.join(' ')}\`${hook.kind === 'container' ? ' (container)' : ''} ${how}`;
    if (BLOCKING_PHASES.includes(phase)) {
      throw new HookFailedError(what, {
        fix: 'the deploy stopped before the switch: traffic, the linked colour and the state are as they were',
        detail: result.output.split('\n').slice(-20).join('\n'),
      });
    }
    rt.progress.warn(`${what}; carried on (${phase} hooks do not undo what they follow)`);
  }
}
