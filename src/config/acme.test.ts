import { describe, expect, it } from 'vitest';
import { configError, FILE } from '../../test/support/config-fixtures.js';
import { parseConfig } from './load.js';

// haproxy.tls.acme: what a user writes, what linkswitch makes of it, and every refusal naming
// the key and the fix before anything runs.

const config = (acme: string, routes = '[shop.example.com, "*.example.com", api.example.com/v1]') => `
services:
  shop:
    image: shop:1
    port: 8080
    routes: ${routes}
haproxy:
  bind: 0.0.0.0:80
  tls:
    acme:
${acme
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
const OK = 'email: ops@example.com\ntermsOfServiceAgreed: true';

describe('haproxy.tls.acme', () => {
  it("defaults to Let's Encrypt, ECDSA, the exact route hosts, acme/ beside haproxy.cfg", () => {
    const acme = parseConfig(config(OK), FILE).tls?.acme;
    expect(acme).toEqual({
      email: 'ops@example.com',
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      directoryCa: null,
      keyType: 'ecdsa-p256',
      hosts: ['api.example.com', 'shop.example.com'],
      dir: expect.stringMatching(/\/acme$/),
    });
    expect(parseConfig(config(OK), FILE).tls?.certificates).toEqual([]);
  });

  it('takes staging, another CA over HTTPS, RSA and listed hosts', () => {
    const acme = parseConfig(
      config(`${OK}\ndirectory: staging\nkeyType: rsa-2048\nhosts: [Shop.Example.com]\ndir: /var/acme`),
      FILE,
    ).tls?.acme;
    expect(acme).toMatchObject({
      directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      keyType: 'rsa-2048',
      hosts: ['shop.example.com'],
      dir: '/var/acme',
    });
    expect(
      parseConfig(config(`${OK}\ndirectory: https://ca.internal:9000/acme/dir`), FILE).tls?.acme?.directoryUrl,
    ).toBe('https://ca.internal:9000/acme/dir');
  });

  it.each([
    ['no email', 'termsOfServiceAgreed: true', /haproxy\.tls\.acme\.email: Required/],
    ['a bad email', 'email: ops\ntermsOfServiceAgreed: true', /haproxy\.tls\.acme\.email: Invalid email/],
    ['terms not agreed', 'email: ops@example.com', /termsOfServiceAgreed: true once you agree/],
    ['a wildcard', `${OK}\nhosts: ["*.example.com"]`, /\*\.example\.com is a wildcard, which HTTP-01 cannot prove/],
    ['an illegal host', `${OK}\nhosts: ["shop example.com"]`, /hosts\[0\]: invalid host/],
    ['an address', `${OK}\nhosts: ["10.0.0.1"]`, /hosts\[0\]: invalid host/],
    ['plain HTTP', `${OK}\ndirectory: http://ca.internal/dir`, /is not production, staging or an https:\/\/ URL/],
    ['an unknown key', `${OK}\nrenew: soon`, /Unrecognized key\(s\) in object: 'renew'/],
  ])('refuses %s', (_label, acme, message) => {
    const error = configError(config(acme));
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it('refuses acme without a host to certify', () => {
    expect(configError(config(OK, '["*.example.com"]')).message).toMatch(/no host to get a certificate for/);
  });

  it('refuses TLS with neither certificates nor acme', () => {
    const text = config(OK).replace(/ {4}acme:\n(?: {6}.*\n)+/, '    minVersion: TLSv1.2\n');
    expect(configError(text).message).toMatch(/needs certificates \(PEM files\), acme/);
  });
});
