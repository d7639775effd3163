// One base class with a stable `code` so callers branch on class or code, never on message text.
// Every message names what failed and how to fix it; `detail` carries captured output (haproxy -c
// stderr, container logs) that belongs in the terminal but not in a one-line log.

export interface ErrorOptions {
  cause?: unknown;
  /** Longer captured output shown under the message in the terminal (stderr, logs). */
  detail?: string;
  /** What the user should do next; appended to the one-line message. */
  fix?: string;
}

export class LinkswitchError extends Error {
  readonly code: string = 'LINKSWITCH_ERROR';
  /** Process exit code for the CLI. */
  readonly exitCode: number = 1;
  readonly detail?: string;
  readonly fix?: string;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options.detail;
    this.fix = options.fix;
  }

  /** One line for logs and for the first line of the terminal output. */
  get shortMessage(): string {
    return this.fix ? `${this.message}; ${this.fix}` : this.message;
  }
}

/** The config file or a flag is wrong. */
export class ConfigError extends LinkswitchError {
  override readonly code = 'CONFIG_INVALID';
  override readonly exitCode = 2;
}

/** A value that would reach haproxy.cfg or the runtime socket is unsafe. */
export class UnsafeValueError extends LinkswitchError {
  override readonly code = 'UNSAFE_VALUE';
  override readonly exitCode = 2;
}

/** The state file cannot be trusted: malformed, unknown version, unknown colour. */
export class StateError extends LinkswitchError {
  override readonly code: string = 'STATE_INVALID';
  override readonly exitCode = 3;
}

/**
 * The state file is missing or unreadable and the running stack does not say which colour is
 * linked (both weighted, labels of another service, HAProxy and its config disagreeing).
 */
export class AmbiguousWorldError extends LinkswitchError {
  override readonly code = 'WORLD_AMBIGUOUS';
  override readonly exitCode = 3;
}

/** The state file is for another stack (another service, another engine): never overwritten. */
export class StateMismatchError extends StateError {
  override readonly code = 'STATE_MISMATCH';
}

/** The state file cannot be parsed (truncated, corrupted, edited wrongly): rebuildable from the stack. */
export class StateUnreadableError extends StateError {}

/** Another linkswitch holds the deploy lock. */
export class LockHeldError extends LinkswitchError {
  override readonly code = 'LOCK_HELD';
  override readonly exitCode = 4;
}

/** A colour did not become healthy in time, or exited. */
export class UnhealthyError extends LinkswitchError {
  override readonly code = 'COLOUR_UNHEALTHY';
  override readonly exitCode = 5;
}

/** Rollback asked for a colour that is not warm. */
export class NotWarmError extends LinkswitchError {
  override readonly code = 'COLOUR_NOT_WARM';
  override readonly exitCode = 5;
}

/** The Docker engine did not answer or refused a request. */
export class DockerError extends LinkswitchError {
  override readonly code = 'DOCKER_FAILED';
  override readonly exitCode = 6;
}

/** `haproxy -c` rejected a rendered config, or the template could not be rendered. */
export class HaproxyConfigError extends LinkswitchError {
  override readonly code = 'HAPROXY_CONFIG_REJECTED';
  override readonly exitCode = 7;
}

/** HAProxy's master or admin socket did not answer, or refused a runtime command. */
export class HaproxyRuntimeError extends LinkswitchError {
  override readonly code: string = 'HAPROXY_RUNTIME_FAILED';
  override readonly exitCode = 8;
}

/** HAProxy's master counted a failed reload: the new config did not load, the old workers serve. */
export class ReloadFailedError extends HaproxyRuntimeError {
  override readonly code = 'HAPROXY_RELOAD_FAILED';
}

/**
 * A verb that needs a running stack found none: no state file yet, or HAProxy not running.
 * Exit code 8 like the HAProxy errors it used to be reported as, so scripts keep working.
 */
export class NotBroughtUpError extends LinkswitchError {
  override readonly code = 'NOT_BROUGHT_UP';
  override readonly exitCode = 8;
}

/** The template could not be rendered (syntax error, missing variable in strict mode). */
export class TemplateError extends LinkswitchError {
  override readonly code = 'TEMPLATE_INVALID';
  override readonly exitCode = 7;
}

/** Terminal form: the one-line message, then captured detail indented below it. */
export function formatError(error: unknown): string {
  if (error instanceof LinkswitchError) {
    const detail = error.detail?.trim();
    const body = detail ? `\n  ${detail.split('\n').join('\n  ')}` : '';
    return `linkswitch: ${error.shortMessage}${body}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `linkswitch: unexpected error: ${message}`;
}

/** The message of anything thrown, for logs and wrapped errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errno code (`ENOENT`, `EACCES`, …) of a failed system call, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The default branch of an exhaustive `switch`: unreachable while every case is handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/** A command named a service the config does not have, or several exist and none was named. */
export class UnknownServiceError extends LinkswitchError {
  override readonly code = 'UNKNOWN_SERVICE';
  override readonly exitCode = 2;
}

/** A TLS certificate HAProxy would be given is unreadable, expired or does not match its key. */
export class CertificateError extends LinkswitchError {
  override readonly code = 'CERTIFICATE_INVALID';
  override readonly exitCode = 2;
}

/** The ACME CA did not issue a certificate (unreachable, refused, a challenge that failed). */
export class AcmeError extends LinkswitchError {
  override readonly code = 'ACME_FAILED';
  override readonly exitCode = 13;
}

/** A `pre-deploy` or `pre-switch` hook failed or timed out: the deploy stopped before any switch. */
export class HookFailedError extends LinkswitchError {
  override readonly code = 'HOOK_FAILED';
  override readonly exitCode = 10;
}

/** A registry refused the credentials (or asked for some and none are configured). */
export class RegistryAuthError extends DockerError {}

/** A canary's figures regressed: the new colour went back to weight 0, the old one kept serving. */
export class CanaryAbortedError extends LinkswitchError {
  override readonly code = 'CANARY_ABORTED';
  override readonly exitCode = 11;
  /** What stopped it: the figure that regressed, too little traffic, or `abort` by hand. */
  reason: 'error rate' | 'response time' | 'traffic' | 'manual' = 'manual';
}

/** The watch window after a switch saw a regression and rolled back to the previous colour. */
export class WatchRollbackError extends LinkswitchError {
  override readonly code = 'WATCH_ROLLED_BACK';
  override readonly exitCode = 12;
  /** The figure that regressed. */
  reason: 'error rate' | 'response time' | 'traffic' = 'error rate';
}
