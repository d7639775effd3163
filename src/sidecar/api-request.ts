import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { RequestError } from './errors.js';

// Reading and answering one control-API request: a bounded JSON body, typed optional fields,
// the bearer token compared in constant time.

export const MAX_BODY_BYTES = 16 * 1024;

export function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Stop reading (nothing more is buffered) and answer 413; the connection closes after it.
      request.off('data', onData);
      request.pause();
      reject(
        new RequestError(413, `request body larger than ${MAX_BODY_BYTES} bytes`, {
          fix: 'send only the documented fields',
        }),
      );
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export function parseJson(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RequestError(400, 'request body is not valid JSON', {
      fix: 'send a JSON object, e.g. {"image": "myapp:1.1"}',
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RequestError(400, 'request body must be a JSON object', { fix: 'send e.g. {"image": "myapp:1.1"}' });
  return value as Record<string, unknown>;
}

export function optional<T>(
  body: Record<string, unknown>,
  key: string,
  type: 'string' | 'boolean' | 'number',
): T | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type || (type === 'number' && !(Number.isFinite(value) && (value as number) >= 0))) {
    throw new RequestError(
      400,
      `request field "${key}" must be a ${type === 'number' ? 'non-negative number' : type}`,
      {
        fix: 'correct the request',
      },
    );
  }
  return value as T;
}

export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (!given) return false;
  // Compare digests: equal lengths for timingSafeEqual, and no early exit on the first byte.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

export function send(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = contentType === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(text);
}
