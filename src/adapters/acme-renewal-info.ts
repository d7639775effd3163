import { ariCertId, nextCheck, type RenewalInfo } from '../core/acme-renewal-info.js';
import { messageOf } from '../core/errors.js';
import type { AcmeSettings } from '../core/settings.js';
import { caAgent, fetchDirectory, getJson } from './acme-http.js';
import { x509 } from './x509.js';

// The CA's renewal window for each certificate held (RFC 9773): GET {renewalInfo}/{certID}.
// Advice, never a gate: a CA without renewalInfo, or one that does not answer within a few
// seconds, leaves the usual two-thirds rule in force, and is asked again later.

const TIMEOUT_MS = 5_000;

/** The certificate's ARI id from its PEM: the Authority Key Identifier and the serial number. */
export function certIdOf(pem: string): string | null {
  const lib = x509();
  const cert = new lib.X509Certificate(pem);
  const aki = cert.getExtension(lib.AuthorityKeyIdentifierExtension)?.keyId;
  return aki ? ariCertId(aki, cert.serialNumber) : null;
}

export type RenewalAnswer = { host: string; info: RenewalInfo } | { host: string; error: string };

export async function askRenewalInfo(
  settings: AcmeSettings,
  certs: ReadonlyArray<{ host: string; serial: string; pem: string }>,
  now: Date,
): Promise<RenewalAnswer[]> {
  if (certs.length === 0) return [];
  const agent = await caAgent(settings);
  let base: string | null;
  try {
    const url = (await fetchDirectory(settings.directoryUrl, agent, TIMEOUT_MS)).renewalInfo;
    base = typeof url === 'string' && url.startsWith('https://') ? url.replace(/\/+$/, '') : null;
  } catch (error) {
    return certs.map(({ host }) => ({ host, error: `directory: ${messageOf(error)}` }));
  }
  // A CA without ARI: the two-thirds rule, and the question again in a day.
  if (base === null)
    return certs.map(({ host, serial }) => ({
      host,
      info: { serial, window: null, checkAt: nextCheck(now, 86_400).toISOString() },
    }));
  const answers: RenewalAnswer[] = [];
  for (const { host, serial, pem } of certs) {
    try {
      const id = certIdOf(pem);
      if (!id) throw new Error('the certificate has no Authority Key Identifier');
      const answer = await getJson(`${base}/${id}`, agent, TIMEOUT_MS);
      const window = (answer.body as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
      const [start, end] = [window?.start, window?.end].map((t) =>
        typeof t === 'string' ? Date.parse(t) : Number.NaN,
      );
      if (answer.status !== 200 || !Number.isFinite(start) || !Number.isFinite(end) || end! < start!)
        throw new Error(answer.status === 200 ? 'no valid suggestedWindow' : `HTTP ${answer.status}`);
      answers.push({
        host,
        info: {
          serial,
          window: { start: new Date(start!).toISOString(), end: new Date(end!).toISOString() },
          checkAt: nextCheck(now, answer.retryAfter).toISOString(),
        },
      });
    } catch (error) {
      answers.push({ host, error: messageOf(error) });
    }
  }
  return answers;
}
