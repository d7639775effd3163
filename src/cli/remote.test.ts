import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { sidecarFromEnv } from './remote.js';

describe('sidecarFromEnv', () => {
  it('is null without LINKSWITCH_SIDECAR', () => {
    expect(sidecarFromEnv({})).toBeNull();
    expect(sidecarFromEnv({ LINKSWITCH_SIDECAR: '  ' })).toBeNull();
  });

  it('reads a unix socket, as unix:/path or a bare absolute path', () => {
    expect(sidecarFromEnv({ LINKSWITCH_SIDECAR: 'unix:/var/lib/linkswitch/control.sock' })).toEqual({
      label: 'unix:/var/lib/linkswitch/control.sock',
      socketPath: '/var/lib/linkswitch/control.sock',
    });
    expect(sidecarFromEnv({ LINKSWITCH_SIDECAR: '/run/ls.sock' })?.socketPath).toBe('/run/ls.sock');
  });

  it('reads an http URL with the token from LINKSWITCH_TOKEN, and never puts the token in the label', () => {
    const target = sidecarFromEnv({
      LINKSWITCH_SIDECAR: 'http://127.0.0.1:9180',
      LINKSWITCH_TOKEN: 'secret-secret-secret',
    });
    expect(target).toEqual({
      label: 'http://127.0.0.1:9180',
      host: '127.0.0.1',
      port: 9180,
      token: 'secret-secret-secret',
    });
  });

  it.each(['https://example.com', 'ftp://x', 'not a url', 'http://'])('refuses %j', (value) => {
    expect(() => sidecarFromEnv({ LINKSWITCH_SIDECAR: value })).toThrow(ConfigError);
  });
});
