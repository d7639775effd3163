import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type AcmePaths, certificateFile } from '../core/acme-paths.js';
import type { AcmeStatus, HeldCertificate } from '../core/acme-plan.js';
import { StateError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-file.js';

// ACME's files, each written atomically (temp file, fsync, rename, fsync dir) and mode 600:
// the account (key and URL), the status per host, each host's certificate (chain and key), the
// crt-list HAProxy loads them from, and the challenge map it answers HTTP-01 from.

export interface AcmeAccount {
  /** PEM private key of the account. */
  key: string;
  /** The account's URL at the CA, once registered. */
  url: string | null;
  directoryUrl: string;
}

export class AcmeStore {
  constructor(readonly paths: AcmePaths) {}

  async prepare(): Promise<void> {
    await mkdir(path.join(this.paths.dir, 'certs'), { recursive: true, mode: 0o700 });
  }

  async account(directoryUrl: string): Promise<AcmeAccount | null> {
    const account = await this.json<AcmeAccount>(this.paths.account);
    // An account belongs to one CA: another directory gets its own.
    return account && account.directoryUrl === directoryUrl ? account : null;
  }

  async saveAccount(account: AcmeAccount): Promise<void> {
    await writeFileAtomic(this.paths.account, `${JSON.stringify(account, null, 2)}\n`, 0o600);
  }

  async status(): Promise<AcmeStatus> {
    return (await this.json<AcmeStatus>(this.paths.status)) ?? {};
  }

  async saveStatus(status: AcmeStatus): Promise<void> {
    await writeFileAtomic(this.paths.status, `${JSON.stringify(status, null, 2)}\n`, 0o600);
  }

  /** The certificates held for `hosts` (a missing or unreadable file: none held). */
  async held(hosts: readonly string[]): Promise<HeldCertificate[]> {
    const found = await Promise.all(
      hosts.map(async (host) => {
        const pem = await readFile(certificateFile(this.paths.dir, host), 'utf8').catch(() => null);
        if (!pem) return null;
        try {
          const cert = new X509Certificate(pem);
          return {
            host,
            notBefore: new Date(cert.validFrom),
            notAfter: new Date(cert.validTo),
            serial: cert.serialNumber,
            issuer: cert.issuer.replace(/\n/g, ', '),
          };
        } catch {
          return null;
        }
      }),
    );
    return found.filter((c): c is HeldCertificate => c !== null);
  }

  async writeCertificate(host: string, pem: string): Promise<string> {
    const file = certificateFile(this.paths.dir, host);
    await writeFileAtomic(file, pem, 0o600);
    return file;
  }

  /** The crt-list names every certificate held, so a reload or restart serves them all. */
  async writeCrtList(hosts: readonly string[]): Promise<void> {
    const text = hosts.map((h) => `${certificateFile(this.paths.dir, h)}\n`).join('');
    await writeFileAtomic(this.paths.crtList, text, 0o600);
  }

  async readChallenges(): Promise<string> {
    return readFile(this.paths.challenges, 'utf8').catch(() => '');
  }

  async writeChallenges(text: string): Promise<void> {
    await writeFileAtomic(this.paths.challenges, text, 0o644);
  }

  private async json<T>(file: string): Promise<T | null> {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new StateError(`${file} is not valid JSON`, {
        fix: `move it away: linkswitch starts it afresh (a new account or an empty status)`,
        cause: error,
      });
    }
  }
}
