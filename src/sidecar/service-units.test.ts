import { describe, expect, it } from 'vitest';
import { UnknownServiceError } from '../core/errors.js';
import { type Unit, unitNamed } from './service-units.js';

describe('unitNamed', () => {
  const unit = (name: string) => ({ name }) as Unit;

  it('takes the only service when none is named, and the named one among several', () => {
    expect(unitNamed([unit('web')], undefined).name).toBe('web');
    expect(unitNamed([unit('web'), unit('api')], 'api').name).toBe('api');
  });

  it('refuses to guess among several, and an unknown name, naming the services', () => {
    expect(() => unitNamed([unit('web'), unit('api')], undefined)).toThrow(UnknownServiceError);
    expect(() => unitNamed([unit('web'), unit('api')], undefined)).toThrow(/name the service \(web, api\)/);
    expect(() => unitNamed([unit('web')], 'nosuch')).toThrow(/no service "nosuch" in this sidecar/);
  });
});
