import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DockerError,
  formatError,
  HaproxyConfigError,
  HaproxyRuntimeError,
  LinkswitchError,
  LockHeldError,
  messageOf,
  NotWarmError,
  StateError,
  TemplateError,
  UnhealthyError,
  UnsafeValueError,
} from './errors.js';

describe('formatError', () => {
  it('prints the message, then the fix, then the detail indented under it', () => {
    const error = new HaproxyConfigError('haproxy -c rejected the rendered config', {
      fix: 'fix the template',
      detail: '[ALERT] parsing [haproxy.cfg:12]: unknown keyword\n[ALERT] fatal errors found\n',
    });
    expect(formatError(error)).toBe(
      'linkswitch: haproxy -c rejected the rendered config; fix the template\n  [ALERT] parsing [haproxy.cfg:12]: ' +
        'unknown keyword\n  [ALERT] fatal errors found',
    );
  });

  it('is a single line without detail, or with whitespace-only detail', () => {
    expect(formatError(new ConfigError('bad key', { fix: 'remove it' }))).toBe('linkswitch: bad key; remove it');
    expect(formatError(new ConfigError('bad key', { detail: '  \n \n' }))).toBe('linkswitch: bad key');
  });

  it('prints detail even without a fix', () => {
    expect(formatError(new UnhealthyError('green did not become healthy', { detail: 'log 1\nlog 2' }))).toBe(
      'linkswitch: green did not become healthy\n  log 1\n  log 2',
    );
  });

  it('marks errors that are not ours as unexpected', () => {
    expect(formatError(new TypeError('x is undefined'))).toBe('linkswitch: unexpected error: x is undefined');
    expect(formatError('plain string')).toBe('linkswitch: unexpected error: plain string');
  });
});

describe('error classes', () => {
  it.each([
    [ConfigError, 'CONFIG_INVALID', 2],
    [UnsafeValueError, 'UNSAFE_VALUE', 2],
    [StateError, 'STATE_INVALID', 3],
    [LockHeldError, 'LOCK_HELD', 4],
    [UnhealthyError, 'COLOUR_UNHEALTHY', 5],
    [NotWarmError, 'COLOUR_NOT_WARM', 5],
    [DockerError, 'DOCKER_FAILED', 6],
    [HaproxyConfigError, 'HAPROXY_CONFIG_REJECTED', 7],
    [HaproxyRuntimeError, 'HAPROXY_RUNTIME_FAILED', 8],
    [TemplateError, 'TEMPLATE_INVALID', 7],
  ] as const)('%o has a stable code, exit code and name', (Cls, code, exitCode) => {
    const cause = new Error('root');
    const error = new Cls('msg', { cause, fix: 'do this' });
    expect(error).toBeInstanceOf(LinkswitchError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(exitCode);
    expect(error.name).toBe(Cls.name);
    expect(error.cause).toBe(cause);
    expect(error.shortMessage).toBe('msg; do this');
  });

  it('has no cause property when none is given', () => {
    expect('cause' in new StateError('x')).toBe(false);
    expect(new LinkswitchError('x').code).toBe('LINKSWITCH_ERROR');
    expect(new LinkswitchError('x').shortMessage).toBe('x');
  });
});

describe('messageOf', () => {
  it('reads Error messages and stringifies anything else', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(undefined)).toBe('undefined');
  });
});
