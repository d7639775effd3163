import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { execa } from 'execa';

// Throwaway TLS material for tests: a CA and server certificates made with openssl at test time
// (never committed), through `openssl ca` so a test can also make an expired certificate.

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM), for clients to trust. */
  pem: string;
  /** A PEM file with certificate and key for `hosts`, in `outDir` under `fileName`. */
  /** owner: the uid:gid the key file is handed to (the compose stack's non-root user). */
  issue(options: {
    hosts: string[];
    outDir: string;
    fileName: string;
    expired?: boolean;
    /** Valid from a minute ago for this many seconds (a certificate that expires during a test). */
    validForSeconds?: number;
    owner?: { uid: number; gid: number };
  }): Promise<string>;
}

const CA_CONFIG = `[ ca ]
default_ca = local
[ local ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
`;

export async function createCa(dir: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'ca.cnf'), CA_CONFIG);
  await writeFile(path.join(dir, 'index.txt'), '');
  await writeFile(path.join(dir, 'serial'), '1000\n');
  const run = (args: string[]) => execa('openssl', args, { cwd: dir });
  await run(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'].concat([
      '-days',
      '2',
      '-subj',
      '/CN=linkswitch test CA',
    ]),
  );
  let count = 0;
  return {
    dir,
    pem: await readFile(path.join(dir, 'ca.pem'), 'utf8'),
    async issue({ hosts, outDir, fileName, expired = false, validForSeconds, owner }) {
      const id = `cert${++count}`;
      const san = hosts.map((h) => `DNS:${h}`).join(',');
      await run(
        ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`].concat([
          '-subj',
          `/CN=${hosts[0]}`,
          '-addext',
          `subjectAltName=${san}`,
        ]),
      );
      const asn1Time = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
      const validity = expired
        ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
        : validForSeconds !== undefined
          ? ['-startdate', asn1Time(Date.now() - 60_000), '-enddate', asn1Time(Date.now() + validForSeconds * 1000)]
          : ['-days', '2'];
      await run(
        ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${id}.csr`].concat([
          '-out',
          `${id}.pem`,
          ...validity,
        ]),
      );
      const cert = await readFile(path.join(dir, `${id}.pem`), 'utf8');
      const key = await readFile(path.join(dir, `${id}.key`), 'utf8');
      // `openssl ca` writes a text dump before the PEM block: keep only the PEM.
      const pemOnly = cert.slice(cert.indexOf('-----BEGIN CERTIFICATE-----'));
      await mkdir(outDir, { recursive: true });
      const file = path.join(outDir, fileName);
      await writeFile(file, `${pemOnly}${key}`, { mode: 0o600 });
      if (owner) await chown(file, owner.uid, owner.gid);
      return file;
    },
  };
}

/** The serial number of the certificate a TLS server on 127.0.0.1:`port` presents for `host`. */
export function servedSerial(port: number, host: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

/**
 * The X-Version of GET / over HTTPS on 127.0.0.1:`port` for `host`, or undefined on any error.
 * `ca`: the certificate must verify against it; null: taken unverified (expired, self-signed).
 */
export function versionOverHttps(port: number, host: string, ca: string | null): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        headers: { host },
        servername: host,
        ...(ca === null ? { rejectUnauthorized: false } : { ca }),
        agent: false,
        timeout: 2000,
      },
      (response) => {
        response.resume();
        resolve((response.headers['x-version'] as string) || undefined);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** The body of GET `route` over HTTPS on 127.0.0.1:`port`, verified against `ca` for `servername`; non-200 throws. */
export function httpsGetText(port: number, route: string, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: route, servername, ca, agent: false, timeout: 2000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 2 s')));
    request.on('error', reject);
  });
}
