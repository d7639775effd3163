import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { TOKEN_ENV, TOKEN_FILE_ENV } from './protocol.js';

// The control API's bearer token is a root credential (whoever holds it deploys any image with
// the sidecar's Docker access), so it must be random and long: at least 32 bytes, e.g.
// `openssl rand -hex 32`. It comes from LINKSWITCH_TOKEN or, to rotate it without a restart, from
// the file LINKSWITCH_TOKEN_FILE names (a Docker or Compose secret): the file is looked at again
// on every request, and a new token there replaces the old one, which is refused from then on.

export const MIN_TOKEN_BYTES = 32;
const FIX = 'use at least 32 random bytes, e.g. `openssl rand -hex 32`';

/** The random bytes a token of this form can carry at most: hex 4 bits a character, others 6. */
export function tokenBytes(token: string): number {
  return Math.floor(/^[0-9a-fA-F]+$/.test(token) ? token.length / 2 : (token.length * 6) / 8);
}

/** Why a token is refused, or null. */
export function tokenProblem(token: string): string | null {
  if (/\s/.test(token)) return 'contains whitespace';
  const bytes = tokenBytes(token);
  return bytes < MIN_TOKEN_BYTES ? `holds at most ${bytes} random bytes, fewer than ${MIN_TOKEN_BYTES}` : null;
}

export interface TokenSource {
  /** The token in force now. */
  current(): string;
  /** Where it comes from, for messages (never the token). */
  readonly origin: string;
}

function refuse(origin: string, problem: string): never {
  throw new ConfigError(`the control API token from ${origin} ${problem}`, { fix: FIX });
}

/** A token from the environment: checked once, fixed for the life of the process. */
function envToken(value: string): TokenSource {
  const problem = tokenProblem(value);
  if (problem) refuse(TOKEN_ENV, problem);
  return { current: () => value, origin: TOKEN_ENV };
}

/**
 * A token from a file, re-read when the file changes (inode, size or mtime). A rotated file whose
 * token is refused keeps the previous token in force and reports why, once per change.
 */
function fileToken(file: string, onRotated: (outcome: string) => void): TokenSource {
  const origin = `${TOKEN_FILE_ENV} (${file})`;
  const read = () => readFileSync(file, 'utf8').trim();
  const identity = () => {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  };
  let seen: string;
  let token: string;
  try {
    seen = identity();
    token = read();
  } catch (error) {
    throw new ConfigError(`cannot read the control API token file ${file}: ${(error as Error).message}`, {
      fix: `write the token to ${file}, readable by the sidecar's user only`,
    });
  }
  const problem = tokenProblem(token);
  if (problem) refuse(origin, problem);
  return {
    origin,
    current() {
      let now: string;
      try {
        now = identity();
      } catch {
        return token; // being replaced (rename): the next request sees the new file
      }
      if (now === seen) return token;
      seen = now;
      let next: string;
      try {
        next = read();
      } catch {
        return token;
      }
      const refused = tokenProblem(next);
      if (refused) {
        onRotated(`the new token ${refused}; the previous token stays in force (${FIX})`);
        return token;
      }
      if (next !== token) onRotated('the control API token was rotated; the previous token is refused from now on');
      token = next;
      return token;
    },
  };
}

/** The token the environment configures, or null (the TCP control API then stays off). */
export function tokenFromEnv(
  env: Record<string, string | undefined>,
  onRotated: (outcome: string) => void,
): TokenSource | null {
  const value = env[TOKEN_ENV];
  const file = env[TOKEN_FILE_ENV];
  if (value && file)
    throw new ConfigError(`both ${TOKEN_ENV} and ${TOKEN_FILE_ENV} are set`, {
      fix: `keep one: ${TOKEN_FILE_ENV} to rotate the token without a restart`,
    });
  if (file) return fileToken(file, onRotated);
  return value ? envToken(value) : null;
}
