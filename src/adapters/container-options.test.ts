import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { containerCreateOptions, swarmTaskOptions, swarmUnsupportedKey } from './container-options.js';

const settings = parseConfig(
  `
service:
  name: web
  image: web:1
  port: 3000
  command: [serve]
  entrypoint: [/bin/tini, --]
  environment: { A: "1" }
  user: "1000"
  working_dir: /app
  volumes: [uploads:/data, "/srv/conf:/conf:ro", { type: tmpfs, target: /scratch, tmpfs: { size: 1m } }]
  extra_hosts: { api.local: 10.0.0.1 }
  dns: [10.0.0.53]
  restart: on-failure:3
  healthcheck: { test: [CMD, /health], interval: 2s, timeout: 1s, retries: 2, start_period: 10s }
  stop_signal: SIGQUIT
  stop_grace_period: 15s
  mem_limit: 64m
  cpus: 1.5
  ulimits: { nofile: 4096 }
  cap_add: [NET_ADMIN]
  cap_drop: [ALL]
  read_only: true
  init: true
  sysctls: { net.core.somaxconn: 512 }
  logging: { driver: local, options: { max-size: 5m } }
  secrets: [pw]
secrets:
  pw: { file: /srv/pw.txt }
`,
  '/srv/app/linkswitch.yml',
);

describe('the container spec in the Engine API', () => {
  it('fills a container create body', () => {
    const { config, host } = containerCreateOptions(settings.service);
    expect(config).toEqual({
      Env: ['A=1'],
      Cmd: ['serve'],
      Entrypoint: ['/bin/tini', '--'],
      WorkingDir: '/app',
      User: '1000',
      StopSignal: 'SIGQUIT',
      Healthcheck: { Test: ['CMD', '/health'], Interval: 2e9, Timeout: 1e9, Retries: 2, StartPeriod: 10e9 },
      StopTimeout: 15,
    });
    expect(host).toEqual({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      Privileged: false,
      Memory: 64 * 1024 ** 2,
      NanoCpus: 1.5e9,
      Mounts: [
        { Type: 'volume', Source: 'uploads', Target: '/data', ReadOnly: false },
        { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
        { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024 ** 2 } },
        { Type: 'bind', Source: '/srv/pw.txt', Target: '/run/secrets/pw', ReadOnly: true },
      ],
      ExtraHosts: ['api.local:10.0.0.1'],
      Dns: ['10.0.0.53'],
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 4096 }],
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      Init: true,
      Sysctls: { 'net.core.somaxconn': '512' },
      LogConfig: { Type: 'local', Config: { 'max-size': '5m' } },
    });
  });

  it('fills a Swarm task template, secrets as Swarm secrets', () => {
    const { container, template } = swarmTaskOptions(settings.service, { pw: 'secret-id' });
    expect(container).toMatchObject({
      Command: ['/bin/tini', '--'],
      Args: ['serve'],
      Dir: '/app',
      User: '1000',
      Hosts: ['10.0.0.1 api.local'],
      DNSConfig: { Nameservers: ['10.0.0.53'] },
      CapabilityAdd: ['CAP_NET_ADMIN'],
      CapabilityDrop: ['ALL'],
      ReadOnly: true,
      Init: true,
      StopGracePeriod: 15e9,
      Secrets: [
        { SecretID: 'secret-id', SecretName: 'pw', File: { Name: '/run/secrets/pw', UID: '0', GID: '0', Mode: 0o444 } },
      ],
    });
    // The secret is not a bind mount on Swarm.
    expect((container.Mounts as Array<{ Target: string }>).map((m) => m.Target)).toEqual([
      '/data',
      '/conf',
      '/scratch',
    ]);
    expect(template).toEqual({
      Resources: { Limits: { MemoryBytes: 64 * 1024 ** 2, NanoCPUs: 1.5e9 } },
      RestartPolicy: { Condition: 'on-failure', Delay: 1e9, MaxAttempts: 3 },
      LogDriver: { Name: 'local', Options: { 'max-size': '5m' } },
    });
  });

  it('names the keys Swarm cannot take', () => {
    expect(swarmUnsupportedKey(settings.service.container)).toBeNull();
    expect(swarmUnsupportedKey({ ...settings.service.container, shmSizeBytes: 1 })).toBe('shm_size');
    expect(swarmUnsupportedKey({ ...settings.service.container, securityOpt: ['x'] })).toBe('security_opt');
  });
});
