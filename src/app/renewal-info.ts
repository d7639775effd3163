import { readFile } from 'node:fs/promises';
import type { AcmeStore } from '../adapters/acme-store.js';
import { certificateFile } from '../core/acme-paths.js';
import { type AcmeStatus, type HeldCertificate, NO_STATUS, renewalInfoWanted } from '../core/acme-plan.js';
import type { AcmeSettings } from '../core/settings.js';

// Before a run plans, the CA's renewal windows (RFC 9773) for the certificates held, where the
// last answer has aged past its Retry-After: the plan then renews inside the window (early, if
// the CA must revoke). A question that fails keeps the last window for that certificate and is
// asked again in an hour; it never stops a run.

const RETRY_MS = 3_600_000;

export async function withRenewalInfo(
  acme: AcmeSettings,
  store: AcmeStore,
  held: readonly HeldCertificate[],
  now: Date,
): Promise<AcmeStatus> {
  let status = await store.status();
  const ask = held.filter((c) => renewalInfoWanted(c, status[c.host] ?? NO_STATUS, now));
  if (ask.length === 0) return status;
  const { askRenewalInfo } = await import('../adapters/acme-renewal-info.js');
  let answers: Awaited<ReturnType<typeof askRenewalInfo>>;
  const certs: Array<{ host: string; serial: string; pem: string }> = [];
  try {
    for (const c of ask)
      certs.push({ host: c.host, serial: c.serial, pem: await readFile(certificateFile(acme.dir, c.host), 'utf8') });
    answers = await askRenewalInfo(acme, certs, now);
  } catch {
    // A file gone since it was read, an unreadable directoryCa: the order itself will say.
    return status;
  }
  for (const answer of answers) {
    const previous = status[answer.host] ?? NO_STATUS;
    const serial = certs.find((c) => c.host === answer.host)!.serial;
    const kept = previous.renewalInfo?.serial === serial ? previous.renewalInfo.window : null;
    const renewalInfo =
      'info' in answer
        ? answer.info
        : { serial, window: kept, checkAt: new Date(now.getTime() + RETRY_MS).toISOString() };
    status = { ...status, [answer.host]: { ...previous, renewalInfo } };
  }
  await store.saveStatus(status);
  return status;
}
