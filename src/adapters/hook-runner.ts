import path from 'node:path';
import { execa } from 'execa';
import { type HookContext, type HookPort, type HookResult, type HookSettings, hookEnvironment } from '../core/hooks.js';
import type { DockerPort } from '../core/ports.js';

// Deploy hooks on the machine: a host command (argument list, no shell, in the config's
// directory, with this process's environment plus the hook variables) or a one-off container
// from the image being deployed, through the engine. Output is streamed by line and kept.

const KEEP_BYTES = 64 * 1024;
/** After the timeout's SIGTERM, a hook gets this long to exit before SIGKILL. */
const KILL_GRACE_MS = 5_000;

export class HookRunner implements HookPort {
  constructor(
    private readonly docker: DockerPort,
    private readonly configFile: string,
  ) {}

  async run(hook: HookSettings, context: HookContext, onLine: (line: string) => void): Promise<HookResult> {
    const started = performance.now();
    const env = hookEnvironment(context);
    const base = { phase: context.phase, kind: hook.kind, argv: hook.argv };
    if (hook.kind === 'container') {
      const outcome = await this.docker.runOnce(context.image, hook.argv, { env, timeoutMs: hook.timeout, onLine });
      return { ...base, ...outcome, durationMs: Math.round(performance.now() - started) };
    }
    const [program, ...args] = hook.argv as [string, ...string[]];
    const child = execa(program, [...args], {
      cwd: path.dirname(this.configFile),
      env,
      stdin: 'ignore',
      all: true,
      reject: false,
      timeout: hook.timeout,
      forceKillAfterDelay: KILL_GRACE_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    for await (const line of child.iterable({ from: 'all' })) onLine(String(line));
    const result = await child;
    const output = String(result.all ?? '').slice(-KEEP_BYTES);
    return {
      ...base,
      // A program that could not start at all (ENOENT) has no exit code: report it as 127, as a shell would.
      exitCode: result.timedOut ? null : (result.exitCode ?? 127),
      timedOut: result.timedOut === true,
      durationMs: Math.round(performance.now() - started),
      output:
        result.failed && result.exitCode === undefined && !result.timedOut ? `${output}${result.shortMessage}` : output,
    };
  }
}
