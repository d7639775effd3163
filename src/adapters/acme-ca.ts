import { createRequire } from 'node:module';
import { ACME_TOKEN } from '../core/acme-paths.js';
import { AcmeError, ConfigError, messageOf } from '../core/errors.js';
import type { ChallengeSolver } from '../core/ports.js';
import type { AcmeSettings } from '../core/settings.js';
import { caAgent, fetchDirectory, REQUEST_TIMEOUT_MS } from './acme-http.js';
import type { AcmeAccount } from './acme-store.js';

// One certificate from the ACME CA (RFC 8555) through acme-client: the account (made on first
// use, its key kept by the caller), an order for one host, its challenge answered by the solver
// (HTTP-01: HAProxy serves the key authorization from its map), then the chain.
// Loaded only for certificate work: the CLI's other paths never import acme-client.

export interface OrderHooks {
  solver: ChallengeSolver;
  /** The account as soon as the CA registered it (before the order ends, however it ends). */
  saveAccount(account: AcmeAccount): Promise<void>;
}

const require = createRequire(import.meta.url);
/** What a solver may be handed: HTTP-01's token.thumbprint, DNS-01's base64url SHA-256 digest. */
const KEY_AUTHORIZATION = {
  'http-01': /^[A-Za-z0-9_-]{16,256}\.[A-Za-z0-9_-]{16,128}$/,
  'dns-01': /^[A-Za-z0-9_-]{43}$/,
} as const;

export async function issueCertificate(
  settings: AcmeSettings,
  saved: AcmeAccount | null,
  host: string,
  hooks: OrderHooks,
): Promise<{ pem: string; account: AcmeAccount }> {
  const { solver } = hooks;
  // require, as dockerode: an import() from the bundled CLI runs through vm's experimental loader.
  const acme = require('acme-client') as typeof import('acme-client');
  // A private CA (Pebble, step-ca) signs the directory's own HTTPS certificate.
  const agent = await caAgent(settings);
  if (agent) acme.axios.defaults.httpsAgent = agent;
  // acme-client retries a failed request 5 times, 5 s more each time (75 s): a CLI run or a
  // timer would hang on a CA that is down. Twice, 2 and 4 s later, covers a blip.
  const defaults = acme.axios.defaults as unknown as { acmeSettings: Record<string, number> };
  defaults.acmeSettings = { ...defaults.acmeSettings, retryMaxAttempts: 2, retryDefaultDelay: 2 };
  acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
  const accountKey = saved?.key ?? (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  const client = new acme.Client({
    directoryUrl: settings.directoryUrl,
    accountKey,
    // Polls of a challenge being validated and an order being finalized (both asynchronous at
    // Let's Encrypt and Pebble 2.6): 1 s, then doubling to 10 s, about 85 s in all. acme-client's
    // default first wait of 5 s made every order at least 5 s longer than the CA took.
    backoffMin: 1000,
    backoffMax: 10_000,
    backoffAttempts: 12,
    ...(saved?.url ? { accountUrl: saved.url } : {}),
  });
  try {
    // The directory first, with a plain request: a wrong URL or a CA that is down fails here in
    // seconds, with the network's own reason, before any order.
    await fetchDirectory(settings.directoryUrl, agent);
  } catch (error) {
    // Never reached before: the URL is wrong (the config's problem). Reached before: the CA is down.
    const problem = `haproxy.tls.acme.directory ${settings.directoryUrl} does not answer: ${oneLine(error)}`;
    if (saved)
      throw new AcmeError(`${host}: ${problem}`, {
        fix: 'the CA may be down: linkswitch tries again later, and HAProxy keeps serving what it has',
        cause: error,
      });
    throw new ConfigError(problem, {
      fix: 'check the URL (production, staging or your CA’s directory) and that this host reaches it',
      cause: error,
    });
  }
  const certificateKey =
    settings.keyType === 'rsa-2048'
      ? await acme.crypto.createPrivateRsaKey(2048)
      : await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, certificateKey);
  const account = (): AcmeAccount => ({
    key: accountKey,
    url: client.getAccountUrl(),
    directoryUrl: settings.directoryUrl,
  });
  try {
    const chain = await client.auto({
      csr,
      email: settings.email,
      termsOfServiceAgreed: true,
      challengePriority: [solver.type],
      // The CA's own request is the check that counts; ours would go to this host's DNS name.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== solver.type) throw new Error(`the CA offered ${challenge.type}, not ${solver.type}`);
        if (!ACME_TOKEN.test(challenge.token) || !KEY_AUTHORIZATION[solver.type].test(keyAuthorization))
          throw new Error('the CA sent a challenge token of unexpected characters');
        if (saved?.url !== client.getAccountUrl()) await hooks.saveAccount(account());
        await solver.present({ host, token: challenge.token, keyAuthorization });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        if (ACME_TOKEN.test(challenge.token)) await solver.remove({ host, token: challenge.token });
      },
    });
    return { pem: `${chain.trim()}\n${certificateKey.toString().trim()}\n`, account: account() };
  } catch (error) {
    throw new AcmeError(`${host}: the CA did not issue a certificate: ${oneLine(error)}`, {
      fix: `check that ${host} resolves to this HAProxy and that port 80 reaches it; \`linkswitch certs\` shows the last error`,
      cause: error,
    });
  }
}

function oneLine(error: unknown): string {
  return messageOf(error).split('\n')[0]!.slice(0, 300);
}
