import type Docker from 'dockerode';
import type { ContainerSpec, HealthcheckSpec } from '../core/container-spec.js';
import { ConfigError } from '../core/errors.js';
import type { ServiceSettings } from '../core/settings.js';
import { parseMemory } from './docker-client.js';

// A service's container spec in the Docker Engine API's own structures: a container's Config and
// HostConfig (engine.kind container) and a Swarm task's ContainerSpec/Resources (engine.kind
// swarm). Every value is passed as data; nothing here is parsed by a shell.

const NS_PER_MS = 1_000_000;

function healthcheck(spec: HealthcheckSpec | null): Docker.HealthConfig | undefined {
  if (!spec) return undefined;
  if (spec.disable) return { Test: ['NONE'] };
  return {
    Test: spec.test,
    ...(spec.intervalMs === null ? {} : { Interval: spec.intervalMs * NS_PER_MS }),
    ...(spec.timeoutMs === null ? {} : { Timeout: spec.timeoutMs * NS_PER_MS }),
    ...(spec.retries === null ? {} : { Retries: spec.retries }),
    ...(spec.startPeriodMs === null ? {} : { StartPeriod: spec.startPeriodMs * NS_PER_MS }),
  };
}

function mounts(spec: ContainerSpec): Docker.MountSettings[] {
  const out: Docker.MountSettings[] = spec.mounts.map((mount) => {
    if (mount.type === 'bind')
      return { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly };
    if (mount.type === 'tmpfs')
      return {
        Type: 'tmpfs',
        Target: mount.target,
        ...(mount.sizeBytes === null ? {} : { TmpfsOptions: { SizeBytes: mount.sizeBytes } }),
      } as Docker.MountSettings;
    return {
      Type: 'volume',
      ...(mount.source === null ? {} : { Source: mount.source }),
      Target: mount.target,
      ReadOnly: mount.readOnly,
      ...(mount.noCopy ? { VolumeOptions: { NoCopy: true } } : {}),
    } as Docker.MountSettings;
  });
  // Compose mounts secrets read-only as files (engine.kind container: a bind of the file).
  for (const secret of spec.secrets)
    out.push({ Type: 'bind', Source: secret.file, Target: secret.target, ReadOnly: true });
  return out;
}

/** The parts of a container's create body that come from the service's spec. */
export function containerCreateOptions(service: ServiceSettings): {
  config: Partial<Docker.ContainerCreateOptions>;
  host: Docker.HostConfig;
} {
  const spec = service.container;
  const check = healthcheck(spec.healthcheck);
  const config: Partial<Docker.ContainerCreateOptions> = {
    Env: Object.entries(service.env).map(([key, value]) => `${key}=${value}`),
    ...(service.command ? { Cmd: service.command } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.stopSignal ? { StopSignal: spec.stopSignal } : {}),
    ...(check ? { Healthcheck: check } : {}),
    StopTimeout: service.stopTimeout,
  };
  const restart = spec.restart;
  const host: Docker.HostConfig = {
    RestartPolicy: { Name: restart.name === 'no' ? '' : restart.name, MaximumRetryCount: restart.maxRetries },
    Privileged: false,
    ...(service.memory ? { Memory: parseMemory(service.memory) } : {}),
    ...(spec.cpus === null ? {} : { NanoCpus: Math.round(spec.cpus * 1e9) }),
    Mounts: mounts(spec),
    ...(spec.extraHosts.length ? { ExtraHosts: spec.extraHosts.map(({ host, ip }) => `${host}:${ip}`) } : {}),
    ...(spec.dns.length ? { Dns: spec.dns } : {}),
    ...(spec.ulimits.length
      ? { Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) }
      : {}),
    ...(spec.capAdd.length ? { CapAdd: spec.capAdd } : {}),
    ...(spec.capDrop.length ? { CapDrop: spec.capDrop } : {}),
    ...(spec.securityOpt.length ? { SecurityOpt: spec.securityOpt } : {}),
    ...(spec.readOnly ? { ReadonlyRootfs: true } : {}),
    ...(spec.init === null ? {} : { Init: spec.init }),
    ...(spec.shmSizeBytes === null ? {} : { ShmSize: spec.shmSizeBytes }),
    ...(Object.keys(spec.sysctls).length ? { Sysctls: spec.sysctls } : {}),
    ...(spec.logging ? { LogConfig: { Type: spec.logging.driver, Config: spec.logging.options } } : {}),
  };
  return { config, host };
}

/** A key Swarm's task spec cannot express in the API this tool targets (1.41): refused, not dropped. */
export function swarmUnsupportedKey(spec: ContainerSpec): string | null {
  if (spec.shmSizeBytes !== null) return 'shm_size';
  if (spec.securityOpt.length) return 'security_opt';
  return null;
}

/** The parts of a Swarm service's TaskTemplate that come from the service's spec. */
export function swarmTaskOptions(
  service: ServiceSettings,
  secretIds: Record<string, string>,
): { container: Record<string, unknown>; template: Record<string, unknown> } {
  const spec = service.container;
  const unsupported = swarmUnsupportedKey(spec);
  if (unsupported)
    throw new ConfigError(`${service.name}: ${unsupported} is not available with engine.kind "swarm"`, {
      fix: `remove ${unsupported} from the service, or use engine.kind container`,
    });
  const check = healthcheck(spec.healthcheck);
  const container: Record<string, unknown> = {
    Env: Object.entries(service.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.entrypoint ? { Command: spec.entrypoint } : {}),
    ...(service.command ? { Args: service.command } : {}),
    ...(spec.workingDir ? { Dir: spec.workingDir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.stopSignal ? { StopSignal: spec.stopSignal } : {}),
    ...(check ? { HealthCheck: check } : {}),
    StopGracePeriod: service.stopTimeout * 1_000_000_000,
    Mounts: mounts({ ...spec, secrets: [] }),
    ...(spec.extraHosts.length ? { Hosts: spec.extraHosts.map(({ host, ip }) => `${ip} ${host}`) } : {}),
    ...(spec.dns.length ? { DNSConfig: { Nameservers: spec.dns } } : {}),
    ...(spec.ulimits.length
      ? { Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) }
      : {}),
    ...(spec.capAdd.length ? { CapabilityAdd: spec.capAdd.map(capName) } : {}),
    ...(spec.capDrop.length ? { CapabilityDrop: spec.capDrop.map(capName) } : {}),
    ...(spec.readOnly ? { ReadOnly: true } : {}),
    ...(spec.init === null ? {} : { Init: spec.init }),
    ...(Object.keys(spec.sysctls).length ? { Sysctls: spec.sysctls } : {}),
    ...(spec.secrets.length
      ? {
          Secrets: spec.secrets.map((secret) => ({
            SecretID: secretIds[secret.name],
            SecretName: secret.name,
            File: { Name: secret.target, UID: '0', GID: '0', Mode: 0o444 },
          })),
        }
      : {}),
  };
  const limits = {
    ...(service.memory ? { MemoryBytes: parseMemory(service.memory) } : {}),
    ...(spec.cpus === null ? {} : { NanoCPUs: Math.round(spec.cpus * 1e9) }),
  };
  const condition = { no: 'none', 'on-failure': 'on-failure', always: 'any', 'unless-stopped': 'any' }[
    spec.restart.name
  ];
  const template: Record<string, unknown> = {
    ...(Object.keys(limits).length ? { Resources: { Limits: limits } } : {}),
    RestartPolicy: {
      Condition: condition,
      Delay: 1_000 * NS_PER_MS,
      ...(spec.restart.maxRetries ? { MaxAttempts: spec.restart.maxRetries } : {}),
    },
    ...(spec.logging ? { LogDriver: { Name: spec.logging.driver, Options: spec.logging.options } } : {}),
  };
  return { container, template };
}

/** Swarm wants capabilities with their CAP_ prefix ("ALL" stays). */
function capName(cap: string): string {
  return cap === 'ALL' || cap.startsWith('CAP_') ? cap : `CAP_${cap}`;
}
