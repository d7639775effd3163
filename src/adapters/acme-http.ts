import { readFile } from 'node:fs/promises';
import https from 'node:https';
import tls from 'node:tls';
import type { AcmeSettings } from '../core/settings.js';

// Plain HTTPS GETs to the ACME CA, beside acme-client: the directory check before an order and
// the renewal information (RFC 9773), which acme-client does not ask for. Bounded in time and
// size; a private CA (Pebble, step-ca) is trusted through haproxy.tls.acme.directoryCa.

export const REQUEST_TIMEOUT_MS = 15_000;
const MAX_BODY = 65_536;

/** The agent for the CA's HTTPS: the system's roots plus directoryCa; undefined: Node's default. */
export async function caAgent(settings: AcmeSettings): Promise<https.Agent | undefined> {
  if (!settings.directoryCa) return undefined;
  return new https.Agent({ ca: [...tls.rootCertificates, await readFile(settings.directoryCa, 'utf8')] });
}

export interface JsonAnswer {
  status: number;
  /** Retry-After in seconds (a number or an HTTP date), or null. */
  retryAfter: number | null;
  body: unknown;
}

export function getJson(
  url: string,
  agent: https.Agent | undefined,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ...(agent ? { agent } : {}), timeout: timeoutMs }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (text.length < MAX_BODY) text += chunk;
      });
      response.on('end', () => {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the caller sees null
        }
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: retryAfterSeconds(response.headers['retry-after']),
          body,
        });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code ?? error.message)));
  });
}

function retryAfterSeconds(value: string | undefined): number | null {
  if (!value) return null;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((at - Date.now()) / 1000));
}

/** The CA's directory (RFC 8555 §7.1.1); throws with the network's own reason, or "not a directory". */
export async function fetchDirectory(
  url: string,
  agent: https.Agent | undefined,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Record<string, unknown>> {
  const answer = await getJson(url, agent, timeoutMs);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
  const directory = answer.body as Record<string, unknown> | null;
  if (typeof directory?.newOrder !== 'string') throw new Error('the answer is not an ACME directory (no newOrder)');
  return directory;
}
