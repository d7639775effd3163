import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, freePort, haproxySettings, type Stack } from '../support/stack.js';
import { createCa, type TestCa, versionOverHttps } from '../support/tls.js';

// A certificate file that expires while the stack runs, as a user meets it: HAProxy goes on
// serving it, so a deploy that does not touch TLS (the hotfix during the very incident) goes on
// with a loud warning; `status` and `certs` said so before and say so after. Only an expired
// certificate that the change itself brings in is refused, and then nothing changes.

const HOST = 'expiring.test';
/** Long enough for `up` on a slow machine, short enough to wait out. */
const LIFETIME_S = 30;

describe('a certificate file that expires while the stack runs', () => {
  let stack: Stack;
  let ca: TestCa;
  let httpsPort: number;
  let cert: string;
  let notAfter: number;

  beforeAll(async () => {
    stack = await createStack('certexpiry');
    ca = await createCa(path.join(stack.dir, 'ca'));
    httpsPort = await freePort();
    const certs = path.join(stack.dir, 'certs');
    cert = await ca.issue({ hosts: [HOST], outDir: certs, fileName: 'site.pem', validForSeconds: LIFETIME_S });
    notAfter = Date.now() + LIFETIME_S * 1000;
    await stack.writeConfig({
      haproxy: {
        ...haproxySettings(`127.0.0.1:${stack.port}`),
        tls: { bind: `127.0.0.1:${httpsPort}`, certificates: [cert] },
      },
    });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('warns before it expires, then deploys on with a warning; refuses only an expired one it brings in', {
    timeout: 120_000,
  }, async () => {
    const before = await stack.cli(['status']);
    expect(before.exitCode, before.all).toBe(0);
    expect(before.stdout).toMatch(new RegExp(`certificate ${cert} expires in 0 days .*: renew it`));

    await sleep(Math.max(0, notAfter - Date.now()) + 1500);
    expect(await versionOverHttps(httpsPort, HOST, null)).toBe('v1');

    const deployed = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    expect(deployed.exitCode, deployed.all).toBe(0);
    expect(deployed.stderr).toMatch(new RegExp(`certificate ${cert} expired on .*renew it now`));
    expect(await versionOverHttps(httpsPort, HOST, null)).toBe('v2');

    const status = await stack.cli(['status']);
    expect(status.stdout).toMatch(new RegExp(`certificate warning: certificate ${cert} expired on`));
    const certs = await stack.cli(['certs', '--json']);
    expect(certs.exitCode, certs.all).toBe(0);
    const rows = (JSON.parse(certs.stdout) as { certificates: Array<Record<string, unknown>> }).certificates;
    expect(rows).toEqual([
      expect.objectContaining({
        host: HOST,
        source: 'file',
        file: cert,
        lastError: expect.stringMatching(/^expired on/),
      }),
    ]);

    // A "renewal" that is itself expired: the change brings it in, so it is refused whole.
    const cfgBefore = await readFile(stack.haproxyCfg, 'utf8');
    await ca.issue({ hosts: [HOST], outDir: path.dirname(cert), fileName: 'site.pem', expired: true });
    const refused = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v1']);
    expect(refused.exitCode, refused.all).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`certificate ${cert}: expired on 2020-01-02`));
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfgBefore);
    expect(await versionOverHttps(httpsPort, HOST, null)).toBe('v2');

    // A good renewal: the next deploy takes it up, and the warning is gone.
    await ca.issue({ hosts: [HOST], outDir: path.dirname(cert), fileName: 'site.pem' });
    const renewed = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v1']);
    expect(renewed.exitCode, renewed.all).toBe(0);
    expect(renewed.stderr).not.toMatch(/expired on/);
    expect(await versionOverHttps(httpsPort, HOST, null)).toBe('v1');
  });
});
