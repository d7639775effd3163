import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './stack.js';
import { createCa, httpsGetText } from './tls.js';

// Let's Encrypt's test CA, Pebble, and its DNS (pebble-challtestsrv) answering 127.0.0.1 for
// every name: Debian's `pebble` package (scripts/setup.sh). Pebble validates HTTP-01 on
// `httpPort` of 127.0.0.1, where the test's HAProxy listens. Its own HTTPS certificate comes
// from a test CA, which the config names as haproxy.tls.acme.directoryCa.

export interface Pebble {
  directoryUrl: string;
  /** The CA that signs Pebble's HTTPS listener (for directoryCa). */
  caFile: string;
  /** PEM of the root Pebble issues from (changes with every Pebble start). */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Pebble's own HTTPS certificate for `name`, from a throwaway CA: `dir`/pebble-cert.pem,
 * pebble-key.pem (handed to `owner`, the user Pebble runs as) and pebble-ca.pem (for
 * haproxy.tls.acme.directoryCa).
 */
export async function pebbleListenerCertificate(
  dir: string,
  name: string,
  owner?: { uid: number; gid: number },
): Promise<{ caPem: string; caFile: string; certFile: string; keyFile: string }> {
  // Before createCa, which would make `dir` too, as private as its own (Pebble reads `dir`).
  await mkdir(dir, { recursive: true });
  const ca = await createCa(path.join(dir, 'pebble-ca'));
  const pemFile = await ca.issue({ hosts: [name], outDir: dir, fileName: 'pebble.pem' });
  const pem = await readFile(pemFile, 'utf8');
  await rm(pemFile);
  const cut = pem.indexOf('-----BEGIN PRIVATE KEY-----');
  const [certFile, keyFile, caFile] = ['cert', 'key', 'ca'].map((part) => path.join(dir, `pebble-${part}.pem`)) as [
    string,
    string,
    string,
  ];
  await writeFile(certFile, pem.slice(0, cut));
  await writeFile(keyFile, pem.slice(cut), { mode: 0o600 });
  if (owner) await chown(keyFile, owner.uid, owner.gid);
  await writeFile(caFile, ca.pem);
  // The CA signed its one certificate: its key goes.
  await rm(ca.dir, { recursive: true, force: true });
  return { caPem: ca.pem, caFile, certFile, keyFile };
}

/** Debian 12's Pebble (2.4, `npm run setup` installs it), or others: Debian 13's 2.6 serves ARI. */
export interface PebbleBinaries {
  pebble: string;
  challtestsrv: string;
}

const DEBIAN_PEBBLE: PebbleBinaries = { pebble: '/usr/bin/pebble', challtestsrv: '/usr/bin/pebble-challtestsrv' };

export async function startPebble(dir: string, httpPort: number, binaries = DEBIAN_PEBBLE): Promise<Pebble> {
  for (const binary of Object.values(binaries))
    if (!existsSync(binary)) throw new Error(`${binary} missing: run \`npm run setup\` (it installs Debian's pebble)`);
  const { caPem, caFile, certFile, keyFile } = await pebbleListenerCertificate(dir, 'localhost');
  const [listen, management, dns, dnsManagement] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const config = path.join(dir, 'pebble.json');
  await writeFile(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort,
        tlsPort: httpPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const children: ResultPromise[] = [
    execa(
      binaries.challtestsrv,
      ['-dns01', `127.0.0.1:${dns}`, '-management', `127.0.0.1:${dnsManagement}`, '-http01', '', '-https01', ''].concat(
        ['-tlsalpn01', '', '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
      ),
      { reject: false, all: true },
    ),
    // No random sleep before a validation, no random nonce refusals: the tests are about HAProxy.
    // No authorization reuse: every order is validated over HTTP-01 (Pebble reuses half by default).
    execa(binaries.pebble, ['-config', config, '-dnsserver', `127.0.0.1:${dns}`], {
      reject: false,
      all: true,
      env: { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    }),
  ];
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children);
  };
  const get = (port: number, route: string) => httpsGetText(port, route, caPem, 'localhost');
  for (let i = 0; ; i++) {
    try {
      await get(listen, '/dir');
      break;
    } catch (error) {
      if (i >= 100) {
        await stop();
        throw new Error(`Pebble did not answer within 10 s: ${String(error)}`);
      }
      await sleep(100);
    }
  }
  return {
    directoryUrl: `https://localhost:${listen}/dir`,
    caFile,
    issuingRoot: () => get(management, '/roots/0'),
    stop,
  };
}
