import { AcmeStore } from '../adapters/acme-store.js';
import { checkCertificates } from '../adapters/certificates.js';
import { Lock } from '../adapters/lock-file.js';
import { ACME_TOKEN, acmePaths } from '../core/acme-paths.js';
import { type AcmePlan, afterAttempt, planAcme } from '../core/acme-plan.js';
import { AcmeError, ConfigError, messageOf } from '../core/errors.js';
import type { ChallengeSolver } from '../core/ports.js';
import type { Runtime } from '../core/runtime.js';
import type { AcmeSettings, Settings } from '../core/settings.js';
import { withRenewalInfo } from './renewal-info.js';

// `linkswitch certs renew` and the certificates `up` issues: which hosts are due (core/acme-plan),
// one order at a time under the ACME lock, HTTP-01 answered by HAProxy from the challenge map,
// each new certificate written (file, crt-list) and installed through the runtime API. A host
// that fails is recorded with its error and tried again after a back-off; the others go on.

/** An order (account, challenge, finalize, download) is minutes at most; a dead holder's lock expires. */
const LOCK_TTL_MS = 10 * 60_000;

export interface RenewOptions {
  force?: boolean;
  only?: readonly string[];
}

export interface RenewResult {
  plan: AcmePlan;
  issued: Array<{ host: string; file: string; notAfter: string }>;
  failed: Array<{ host: string; error: string }>;
}

export function acmeOf(config: Settings): AcmeSettings {
  const acme = config.tls?.acme;
  if (!acme)
    throw new ConfigError('the config has no haproxy.tls.acme', {
      fix: 'add haproxy.tls.acme (email, termsOfServiceAgreed) to get certificates from an ACME CA',
    });
  return acme;
}

export async function renewCertificates(rt: Runtime, options: RenewOptions = {}): Promise<RenewResult> {
  const acme = acmeOf(rt.config);
  for (const host of options.only ?? [])
    if (!acme.hosts.includes(host))
      throw new ConfigError(`certs renew: ${host} is not one of haproxy.tls.acme's hosts`, {
        fix: `name one of ${acme.hosts.join(', ')}`,
      });
  const store = new AcmeStore(acmePaths(acme.dir));
  await store.prepare();
  const lock = await Lock.acquire({
    file: store.paths.lock,
    ttlMs: LOCK_TTL_MS,
    command: 'certs renew',
    clock: rt.clock,
  });
  try {
    const now = rt.clock.now();
    const covered = await coveredByFiles(rt.config, now);
    const held = await store.held(acme.hosts);
    // The CA's renewal windows first (RFC 9773): it may want a certificate renewed early.
    const status = options.force
      ? await store.status()
      : await withRenewalInfo(
          acme,
          store,
          held.filter((c) => !covered.includes(c.host)),
          now,
        );
    const plan = planAcme({
      hosts: acme.hosts,
      coveredByFiles: covered,
      held,
      status,
      now,
      ...(options.force ? { force: true } : {}),
      ...(options.only ? { only: options.only } : {}),
    });
    const result: RenewResult = { plan, issued: [], failed: [] };
    await clearStaleChallenges(rt, store);
    if (plan.order.length > 0 && !(await rt.haproxy.running()))
      throw new AcmeError('HAProxy is not running, and it answers the CA’s HTTP-01 challenges', {
        fix: 'run `linkswitch up` first (it issues what is missing once HAProxy serves)',
      });
    for (const host of plan.order) await orderOne(rt, acme, store, host, result);
    return result;
  } finally {
    await lock.release();
  }
}

async function orderOne(
  rt: Runtime,
  acme: AcmeSettings,
  store: AcmeStore,
  host: string,
  result: RenewResult,
): Promise<void> {
  const { issueCertificate } = await import('../adapters/acme-ca.js');
  rt.progress.phase('certificate', { host, step: 'order' });
  const record = async (error: string | null) =>
    store.saveStatus(afterAttempt(await store.status(), host, rt.clock.now(), error));
  try {
    const issued = await issueCertificate(acme, await store.account(acme.directoryUrl), host, {
      saveAccount: (account) => store.saveAccount(account),
      solver: httpSolver(rt, store),
    });
    await store.saveAccount(issued.account);
    // Files first: a reload from here on serves the new certificate too.
    const file = await store.writeCertificate(host, issued.pem);
    const held = await store.held(acme.hosts);
    await store.writeCrtList(held.map((c) => c.host));
    await rt.haproxy.installCertificate(file, issued.pem, store.paths.crtList);
    const notAfter = held.find((c) => c.host === host)?.notAfter.toISOString() ?? '';
    result.issued.push({ host, file, notAfter });
    await record(null);
    rt.progress.phase('certificate', { host, step: 'installed', notAfter });
  } catch (caught) {
    // A directory that does not answer is the config's problem, the same for every host.
    if (caught instanceof ConfigError) throw caught;
    const error = messageOf(caught).split('\n')[0]!;
    result.failed.push({ host, error });
    await record(error);
    rt.progress.warn(`certificate for ${host} not issued`, { error });
  }
}

/** HTTP-01, answered by HAProxy itself from the challenge map (the template's `http-request return`). */
function httpSolver(rt: Runtime, store: AcmeStore): ChallengeSolver {
  return {
    type: 'http-01',
    async present({ token, keyAuthorization }) {
      await setChallenge(rt, store, token, keyAuthorization);
      // Fault tests kill here: an order in flight, its token in the map, the lock held.
      await rt.pause?.('acme-challenge');
    },
    remove: ({ token }) => setChallenge(rt, store, token, null),
  };
}

/** A token's answer into the challenge map: the file (a reload mid-order keeps it) and HAProxy. */
async function setChallenge(rt: Runtime, store: AcmeStore, token: string, value: string | null): Promise<void> {
  const lines = (await store.readChallenges()).split('\n').filter((l) => l !== '' && l.split(' ')[0] !== token);
  if (value !== null) lines.push(`${token} ${value}`);
  await store.writeChallenges(lines.map((l) => `${l}\n`).join(''));
  await rt.haproxy.setMapEntry(store.paths.challenges, token, value);
}

/**
 * Tokens an earlier run left (killed mid-order): no order of theirs runs now (we hold the lock),
 * so they go from the file and from HAProxy; the next order starts afresh.
 */
async function clearStaleChallenges(rt: Runtime, store: AcmeStore): Promise<void> {
  const tokens = (await store.readChallenges())
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((t) => ACME_TOKEN.test(t));
  if (tokens.length === 0) return;
  await store.writeChallenges('');
  if (await rt.haproxy.running())
    for (const token of tokens) await rt.haproxy.setMapEntry(store.paths.challenges, token, null);
}

/** Hosts that certificate files cover; a broken file covers nothing (its error is the deploy's). */
async function coveredByFiles(config: Settings, now: Date): Promise<string[]> {
  if (!config.tls || config.tls.certificates.length === 0) return [];
  try {
    return (await checkCertificates(config.tls, [], now)).covered;
  } catch {
    return [];
  }
}
