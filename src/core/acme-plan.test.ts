import { describe, expect, it } from 'vitest';
import { afterAttempt, type HeldCertificate, NO_STATUS, planAcme, renewalDue, retryAfter } from './acme-plan.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
const held = (host: string, from: number, to: number): HeldCertificate => ({
  host,
  notBefore: days(from),
  notAfter: days(to),
  serial: '01',
  issuer: 'CN=Test CA',
});
const base = { hosts: ['a.test', 'b.test'], coveredByFiles: [], held: [], status: {}, now: NOW };

describe('planAcme', () => {
  it('orders what is missing and what is past two thirds of its lifetime; keeps the rest', () => {
    const plan = planAcme({ ...base, held: [held('a.test', -10, 80), held('b.test', -61, 29)] });
    expect(plan.order).toEqual(['b.test']);
    expect(plan.current).toEqual([{ host: 'a.test', due: days(50) }]);
    expect(planAcme(base).order).toEqual(['a.test', 'b.test']);
  });

  it('leaves hosts that certificate files cover to the files', () => {
    expect(planAcme({ ...base, coveredByFiles: ['a.test'] }).order).toEqual(['b.test']);
  });

  it('waits after failures, longer each time, unless forced; --force renews a current one', () => {
    const status = afterAttempt(afterAttempt({}, 'a.test', days(0), 'CA down'), 'a.test', NOW, 'CA down');
    expect(status['a.test']).toMatchObject({ failures: 2, lastError: 'CA down' });
    const plan = planAcme({ ...base, status });
    expect(plan.waiting).toEqual([{ host: 'a.test', until: new Date(NOW.getTime() + 10 * 60_000) }]);
    expect(plan.order).toEqual(['b.test']);
    const forced = planAcme({ ...base, status, held: [held('b.test', -1, 89)], force: true });
    expect(forced.order).toEqual(['a.test', 'b.test']);
  });

  it('orders only the hosts asked for', () => {
    expect(planAcme({ ...base, only: ['b.test'] }).order).toEqual(['b.test']);
  });
});

describe('renewal and back-off', () => {
  it('renews 90-day certificates after 60 days', () => {
    expect(renewalDue(held('a', 0, 90))).toEqual(days(60));
  });

  it('backs off 5, 10, 20 minutes … at most a day; a success clears it', () => {
    const at = (failures: number) => retryAfter({ ...NO_STATUS, failures, lastErrorAt: NOW.toISOString() });
    expect(at(0)).toBeNull();
    expect(at(1)).toEqual(new Date(NOW.getTime() + 5 * 60_000));
    expect(at(3)).toEqual(new Date(NOW.getTime() + 20 * 60_000));
    expect(at(20)).toEqual(days(1));
    expect(afterAttempt({ 'a.test': { ...NO_STATUS, failures: 4 } }, 'a.test', NOW, null)['a.test']).toEqual({
      lastIssuedAt: NOW.toISOString(),
      lastError: null,
      lastErrorAt: null,
      failures: 0,
    });
  });
});
