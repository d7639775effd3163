import { describe, expect, it } from 'vitest';
import { dueDate, type HeldCertificate, NO_STATUS, planAcme, renewalInfoWanted } from './acme-plan.js';
import { ariCertId, nextCheck, renewAt } from './acme-renewal-info.js';

describe('ACME renewal information (RFC 9773)', () => {
  it('makes the certificate id of the RFC’s example', () => {
    // RFC 9773 §4.1: keyIdentifier 69:88:5B:…:C8:D4, serial 00:87:65:43:21.
    const aki = '69885B6B87464041E1B37B847BA0AE2CDE01C8D4';
    expect(ariCertId(aki, '0087654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    // Node prints the serial without its sign byte; the DER integer needs it back.
    expect(ariCertId(aki, '87654321')).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(ariCertId(aki, '0123')).toBe(`${Buffer.from(aki, 'hex').toString('base64url')}.ASM`);
  });

  it('renews at one fixed point of the window per certificate, now when the window has passed', () => {
    const window = { start: '2026-12-10T00:00:00.000Z', end: '2026-12-12T00:00:00.000Z' };
    const at = renewAt(window, 'AB12');
    expect(at.getTime()).toBeGreaterThanOrEqual(Date.parse(window.start));
    expect(at.getTime()).toBeLessThan(Date.parse(window.end));
    expect(renewAt(window, 'AB12')).toEqual(at);
    // Spread: different certificates, different points.
    const points = new Set(['01', '02', '03', '04', '05'].map((s) => renewAt(window, s).getTime()));
    expect(points.size).toBe(5);
  });

  it('asks again after the CA’s Retry-After, between an hour and a day', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(nextCheck(now, null).toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(nextCheck(now, 60).toISOString()).toBe('2026-12-01T01:00:00.000Z');
    expect(nextCheck(now, 10 * 86_400).toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  const held: HeldCertificate = {
    host: 'a.test',
    notBefore: new Date('2026-12-01T00:00:00Z'),
    notAfter: new Date('2027-03-01T00:00:00Z'),
    serial: 'AB12',
    issuer: 'CN=R11',
  };
  const now = new Date('2026-12-05T00:00:00Z');

  it('orders a fresh certificate when the CA’s window for it has passed (a revocation)', () => {
    const past = { start: '2026-12-04T22:00:00.000Z', end: '2026-12-04T23:00:00.000Z' };
    const status = {
      'a.test': { ...NO_STATUS, renewalInfo: { serial: 'AB12', window: past, checkAt: '2026-12-05T06:00:00.000Z' } },
    };
    expect(planAcme({ hosts: ['a.test'], coveredByFiles: [], held: [held], status, now }).order).toEqual(['a.test']);
    // Without the window, it is current until two thirds of its lifetime.
    const plain = planAcme({ hosts: ['a.test'], coveredByFiles: [], held: [held], status: {}, now });
    expect(plain.order).toEqual([]);
    expect(plain.current[0]!.due.toISOString()).toBe('2027-01-30T00:00:00.000Z');
  });

  it('ignores a window for another certificate, and caps one past the expiry', () => {
    const window = { start: '2026-12-01T00:00:00.000Z', end: '2026-12-01T01:00:00.000Z' };
    const other = { ...NO_STATUS, renewalInfo: { serial: 'FFFF', window, checkAt: '2026-12-05T06:00:00.000Z' } };
    expect(dueDate(held, other).toISOString()).toBe('2027-01-30T00:00:00.000Z');
    const late = { start: '2027-04-01T00:00:00.000Z', end: '2027-04-02T00:00:00.000Z' };
    const bogus = { ...NO_STATUS, renewalInfo: { serial: 'AB12', window: late, checkAt: '2026-12-05T06:00:00.000Z' } };
    expect(dueDate(held, bogus).toISOString()).toBe('2027-02-14T00:00:00.000Z');
  });

  it('asks when it has no answer for this certificate, or the last one has aged', () => {
    const info = { serial: 'AB12', window: null, checkAt: '2026-12-05T06:00:00.000Z' };
    expect(renewalInfoWanted(held, NO_STATUS, now)).toBe(true);
    expect(renewalInfoWanted(held, { ...NO_STATUS, renewalInfo: info }, now)).toBe(false);
    expect(renewalInfoWanted(held, { ...NO_STATUS, renewalInfo: { ...info, serial: 'CD34' } }, now)).toBe(true);
    expect(renewalInfoWanted(held, { ...NO_STATUS, renewalInfo: info }, new Date('2026-12-05T06:00:00Z'))).toBe(true);
  });
});
