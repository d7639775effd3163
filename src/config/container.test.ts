import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { type ResolvedContainer, resolveContainer } from './container.js';

const ctx = (dir: string) => ({
  where: 'services.web',
  abs: (p: string) => path.resolve(dir, p),
  secrets: { db_password: { file: path.join(dir, 'pw.txt') }, api: { environment: 'API' } },
  lookup: (key: string) => ({ HOME: '/home/me', FROM_SHELL: 'shell' })[key],
  defaultStopTimeout: 10,
});

describe('resolveContainer', () => {
  it('resolves every Compose key into the container spec', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ls-spec-'));
    await writeFile(path.join(dir, 'web.env'), 'A=from-file\nB=from-file\n');
    const resolved = resolveContainer(
      {
        image: 'web:1',
        command: 'bundle exec "puma -p" 3000',
        entrypoint: ['/bin/tini', '--'],
        environment: { B: 'given', FROM_SHELL: null, NOT_SET: null },
        env_file: ['web.env', { path: 'missing.env', required: false }],
        labels: ['team=shop'],
        working_dir: '/app',
        user: '1000:1000',
        volumes: [
          'uploads:/app/uploads',
          './config:/app/config:ro',
          '~/cache:/cache',
          { type: 'tmpfs', target: '/run/tmp', tmpfs: { size: 1024 }, read_only: false },
          { type: 'volume', target: '/anon', read_only: false, volume: { nocopy: true } },
        ],
        tmpfs: ['/tmp'],
        networks: { backend: { aliases: ['web-internal'] }, default: null },
        extra_hosts: ['api.local:10.0.0.1', 'gw=host-gateway'],
        dns: ['10.0.0.53'],
        restart: 'on-failure:5',
        healthcheck: { test: 'curl -f http://localhost/health', interval: 5000, start_period: 90_000, retries: 3 },
        stop_signal: 'SIGQUIT',
        stop_grace_period: 61_500,
        mem_limit: 536_870_912,
        cpus: 0.5,
        ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 },
        cap_add: ['NET_BIND_SERVICE'],
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
        read_only: true,
        init: true,
        shm_size: 67_108_864,
        sysctls: ['net.core.somaxconn=1024'],
        logging: { driver: 'json-file', options: { 'max-size': '10m' } },
        secrets: ['db_password', { source: 'db_password', target: 'other' }],
        expose: ['9090', 9091],
        pull_policy: 'always',
      },
      ctx(dir),
    );
    expect(resolved.env).toEqual({ A: 'from-file', B: 'given', FROM_SHELL: 'shell' });
    expect(resolved.envFileKeys).toEqual(['A']);
    expect(resolved.command).toEqual(['bundle', 'exec', 'puma -p', '3000']);
    expect(resolved.labels).toEqual({ team: 'shop' });
    expect(resolved.memory).toBe('536870912');
    expect(resolved.stopTimeout).toBe(62);
    expect(resolved.pull).toBe('always');
    const spec = resolved.container;
    expect(spec.entrypoint).toEqual(['/bin/tini', '--']);
    expect(spec.mounts).toEqual([
      { type: 'volume', source: 'uploads', target: '/app/uploads', readOnly: false, noCopy: false },
      { type: 'bind', source: path.join(dir, 'config'), target: '/app/config', readOnly: true },
      { type: 'bind', source: '/home/me/cache', target: '/cache', readOnly: false },
      { type: 'tmpfs', target: '/run/tmp', sizeBytes: 1024 },
      { type: 'volume', source: null, target: '/anon', readOnly: false, noCopy: true },
      { type: 'tmpfs', target: '/tmp', sizeBytes: null },
    ]);
    expect(spec.networks).toEqual([
      { name: 'backend', aliases: ['web-internal'] },
      { name: 'default', aliases: [] },
    ]);
    expect(spec.extraHosts).toEqual([
      { host: 'api.local', ip: '10.0.0.1' },
      { host: 'gw', ip: 'host-gateway' },
    ]);
    expect(spec.restart).toEqual({ name: 'on-failure', maxRetries: 5 });
    expect(spec.healthcheck).toEqual({
      disable: false,
      test: ['CMD-SHELL', 'curl -f http://localhost/health'],
      intervalMs: 5000,
      timeoutMs: null,
      retries: 3,
      startPeriodMs: 90_000,
    });
    expect(spec.ulimits).toEqual([
      { name: 'nofile', soft: 1024, hard: 2048 },
      { name: 'nproc', soft: 512, hard: 512 },
    ]);
    expect(spec.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
    expect(spec.secrets).toEqual([
      { name: 'db_password', file: path.join(dir, 'pw.txt'), target: '/run/secrets/db_password' },
      { name: 'db_password', file: path.join(dir, 'pw.txt'), target: '/run/secrets/other' },
    ]);
    expect(spec.expose).toEqual([9090, 9091]);
    expect(spec).toMatchObject({
      workingDir: '/app',
      user: '1000:1000',
      dns: ['10.0.0.53'],
      stopSignal: 'SIGQUIT',
      cpus: 0.5,
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges:true'],
      readOnly: true,
      init: true,
      shmSizeBytes: 67_108_864,
      logging: { driver: 'json-file', options: { 'max-size': '10m' } },
    });
  });

  it.each([
    [
      { healthcheck: { disable: true } },
      (s: ResolvedContainer) => expect(s.container.healthcheck).toEqual({ disable: true }),
    ],
    [
      { healthcheck: { test: ['NONE'] } },
      (s: ResolvedContainer) => expect(s.container.healthcheck).toEqual({ disable: true }),
    ],
    [{ restart: 'no' }, (s: ResolvedContainer) => expect(s.container.restart).toEqual({ name: 'no', maxRetries: 0 })],
    [{ env: { A: '1' } }, (s: ResolvedContainer) => expect(s.env).toEqual({ A: '1' })],
  ])('reads %j', async (input, check) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ls-spec-'));
    check(resolveContainer({ image: 'web:1', ...(input as object) }, ctx(dir)));
  });

  it.each([
    [{ env: { A: '1' }, environment: { A: '2' } }, /services\.web\.environment: both env and environment are set/],
    [{ memory: '1g', mem_limit: 5 }, /both memory and mem_limit/],
    [{ env_file: 'nope.env' }, /services\.web\.env_file: cannot read .*nope\.env: ENOENT/],
    [{ volumes: ['a:/x', 'b:/x'] }, /\/x is mounted twice/],
    [{ volumes: ['bad name!:/x'] }, /invalid volume name/],
    [{ networks: ['bad net'] }, /invalid network name/],
    [{ networks: { n: { aliases: ['a b'] } } }, /invalid network alias/],
    [{ extra_hosts: ['nocolon'] }, /extra_hosts: invalid entry/],
    [{ extra_hosts: ['h:not an ip'] }, /invalid address/],
    [{ dns: ['dns.example'] }, /invalid DNS server/],
    [{ healthcheck: { test: ['SHELL', 'x'] } }, /healthcheck\.test: starts with "SHELL"/],
    [{ secrets: ['api'] }, /comes from an environment variable/],
    [{ environment: ['1BAD=x'] }, /invalid environment variable name "1BAD"/],
    [{ labels: { 'linkswitch.colour': 'x' } }, /invalid label name/],
    [{ command: 'echo "open' }, /unclosed " quote/],
    [{ expose: ['http'] }, /invalid port/],
  ])('refuses %j', async (input, message) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ls-spec-'));
    let error: unknown;
    try {
      resolveContainer({ image: 'web:1', ...(input as object) } as never, ctx(dir));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
  });
});
