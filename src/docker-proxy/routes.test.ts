import { describe, expect, it } from 'vitest';
import { decideRoute } from './routes.js';

describe('decideRoute', () => {
  it('passes the reads and pulls linkswitch makes, with or without a version prefix', () => {
    for (const [method, url] of [
      ['GET', '/_ping'],
      ['GET', '/v1.41/version'],
      ['GET', '/events?filters=%7B%7D'],
      ['GET', '/v1.41/containers/json?all=1'],
      ['GET', '/images/registry.test:5000/team/app:1.2/json'],
      ['POST', '/v1.41/images/create?fromImage=app&tag=1'],
      ['GET', '/networks/linkswitch'],
      ['GET', '/services?filters=x'],
      ['GET', '/tasks?filters=x'],
      ['POST', '/secrets/create'],
    ]) {
      expect(decideRoute(method as string, url as string), `${method} ${url}`).toEqual({ kind: 'pass' });
    }
  });

  it('passes calls on an existing container or service only once it is known to be linkswitch’s', () => {
    expect(decideRoute('GET', '/v1.41/containers/web-blue/json')).toEqual({ kind: 'own-container', id: 'web-blue' });
    expect(decideRoute('POST', '/containers/abc123/start')).toEqual({ kind: 'own-container', id: 'abc123' });
    // The sidecar retires the idle container by renaming it (src/adapters/retire.ts).
    expect(decideRoute('POST', '/containers/web-blue/rename?name=web-blue-retired-x')).toEqual({
      kind: 'own-container',
      id: 'web-blue',
    });
    expect(decideRoute('POST', '/containers/abc123/attach?stream=1')).toEqual({ kind: 'own-container', id: 'abc123' });
    expect(decideRoute('DELETE', '/containers/web-green?force=true&v=true')).toEqual({
      kind: 'own-container',
      id: 'web-green',
    });
    expect(decideRoute('DELETE', '/services/web-blue')).toEqual({ kind: 'own-service', id: 'web-blue' });
    expect(decideRoute('GET', '/services/web-blue/logs?stdout=1')).toEqual({ kind: 'own-service', id: 'web-blue' });
    expect(decideRoute('POST', '/services/web-blue/update?version=7')).toEqual({
      kind: 'service-update',
      id: 'web-blue',
    });
    expect(decideRoute('POST', '/containers/create?name=web-blue')).toEqual({ kind: 'container-create' });
    expect(decideRoute('POST', '/networks/app/connect')).toEqual({ kind: 'network-connect' });
  });

  it('refuses exec, swarm changes, plugins, builds, imports, copies and anything unlisted', () => {
    for (const [method, url] of [
      ['POST', '/v1.41/containers/web-blue/exec'],
      ['POST', '/exec/abc/start'],
      ['POST', '/swarm/leave?force=1'],
      ['POST', '/swarm/init'],
      ['POST', '/plugins/pull?remote=evil'],
      ['POST', '/build'],
      ['POST', '/images/create?fromSrc=-'],
      ['POST', '/images/create'],
      ['GET', '/containers/web-blue/archive?path=/'],
      ['PUT', '/containers/web-blue/archive?path=/'],
      ['GET', '/containers/web-blue/export'],
      ['POST', '/containers/prune'],
      ['POST', '/volumes/create'],
      ['POST', '/nodes/abc/update'],
      ['GET', '/secrets'],
    ]) {
      expect(decideRoute(method as string, url as string).kind, `${method} ${url}`).toBe('refuse');
    }
  });

  it('refuses a path that would mean something else once normalised', () => {
    expect(decideRoute('GET', '/images/../containers/x/archive/json')).toMatchObject({ kind: 'refuse' });
    expect(decideRoute('GET', '/images/%2e%2e/json')).toMatchObject({ kind: 'refuse' });
    expect(decideRoute('GET', '//containers/json')).toMatchObject({ kind: 'refuse' });
  });
});
