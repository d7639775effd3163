import { type ErrorOptions, LinkswitchError } from '../core/errors.js';

// Errors of the sidecar's control API, on both ends. An error the sidecar hits while running a
// verb travels as JSON and is rebuilt by the CLI with the same code, exit code, fix and detail,
// so `linkswitch deploy` prints and exits the same whether it ran here or in the sidecar.

/** The sidecar could not be reached, refused the request, or is shutting down. */
export class SidecarError extends LinkswitchError {
  override readonly code = 'SIDECAR_UNAVAILABLE';
  override readonly exitCode = 9;
}

/** The TCP control API was called without the right bearer token. */
export class TokenRefusedError extends LinkswitchError {
  override readonly code = 'SIDECAR_TOKEN_REFUSED';
  override readonly exitCode = 9;
}

/** A control-API request the sidecar cannot take: malformed (400), unknown route (404), too large (413). */
export class RequestError extends LinkswitchError {
  override readonly code = 'REQUEST_INVALID';
  override readonly exitCode = 2;
  readonly status: 400 | 404 | 413;

  constructor(status: 400 | 404 | 413, message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.status = status;
  }
}

export interface ErrorBody {
  error: { name: string; code: string; exitCode: number; message: string; fix?: string; detail?: string };
}

/** An error reported by the sidecar, with the code and exit code it had there. */
export class RemoteError extends LinkswitchError {
  override readonly code: string;
  override readonly exitCode: number;

  constructor(body: ErrorBody['error']) {
    super(body.message, { fix: body.fix, detail: body.detail });
    this.name = body.name;
    this.code = body.code;
    this.exitCode = body.exitCode;
  }
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof LinkswitchError) {
    return {
      error: {
        name: error.name,
        code: error.code,
        exitCode: error.exitCode,
        message: error.message,
        fix: error.fix,
        detail: error.detail,
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: { name: 'Error', code: 'UNEXPECTED', exitCode: 1, message: `unexpected error in the sidecar: ${message}` },
  };
}

/** HTTP status for an error: the client relies on the body, this is for curl and proxies. */
export function httpStatusFor(error: unknown): number {
  if (!(error instanceof LinkswitchError)) return 500;
  if (error instanceof RequestError) return error.status;
  switch (error.code) {
    case 'CONFIG_INVALID':
    case 'UNSAFE_VALUE':
    case 'UNKNOWN_SERVICE':
      return 400;
    case 'LOCK_HELD':
    case 'COLOUR_NOT_WARM':
      return 409;
    case 'SIDECAR_TOKEN_REFUSED':
      return 401;
    case 'SIDECAR_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}
