import { colourNetwork } from '../app/engine.js';
import type { Settings } from '../core/settings.js';

// The body of a container create or a Swarm service create/update, checked against what the
// linkswitch config asks for: a container of a configured service, host paths the config binds,
// capabilities, security options and sysctls the config lists, and none of the host-wide
// switches linkswitch never sets (privileged, host namespaces, devices, volume drivers).

export interface Allowance {
  services: ReadonlySet<string>;
  /** Host paths the config binds (mounts and Compose secret files). */
  bindSources: ReadonlySet<string>;
  capAdd: ReadonlySet<string>;
  securityOpt: ReadonlySet<string>;
  sysctls: ReadonlySet<string>;
  networks: ReadonlySet<string>;
}

const SERVICE_LABEL = 'linkswitch.service';
/** Docker takes "NET_ADMIN" and "CAP_NET_ADMIN" alike; Swarm wants the second. */
const capName = (cap: string) => cap.toUpperCase().replace(/^(?!CAP_)/, 'CAP_');

/** What every service of `settings` may ask of Docker. */
export function allowanceFrom(settings: Settings): Allowance {
  const services = settings.services.map((e) => e.service);
  const specs = services.map((s) => s.container);
  return {
    services: new Set(services.map((s) => s.name)),
    bindSources: new Set(
      specs.flatMap((c) => [
        ...c.mounts.flatMap((m) => (m.type === 'bind' ? [m.source] : [])),
        ...c.secrets.map((s) => s.file),
      ]),
    ),
    capAdd: new Set(specs.flatMap((c) => c.capAdd.map(capName))),
    securityOpt: new Set(specs.flatMap((c) => c.securityOpt)),
    sysctls: new Set(specs.flatMap((c) => Object.keys(c.sysctls))),
    networks: new Set([
      ...[colourNetwork(settings)].filter((n): n is string => n !== null),
      ...specs.flatMap((c) => c.networks.map((n) => n.name)),
    ]),
  };
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const set = (value: unknown) => value !== undefined && value !== null && value !== '' && value !== false;

function labelProblem(labels: unknown, allow: Allowance): string | null {
  const service = object(labels)[SERVICE_LABEL];
  if (typeof service !== 'string') return `it has no ${SERVICE_LABEL} label`;
  if (!allow.services.has(service)) return `${SERVICE_LABEL}=${service} is not a service of the config`;
  return null;
}

function mountProblem(mounts: unknown, allow: Allowance): string | null {
  for (const mount of list(mounts).map(object)) {
    const type = mount.Type;
    if (type === 'bind') {
      if (typeof mount.Source !== 'string' || !allow.bindSources.has(mount.Source))
        return `a bind of ${JSON.stringify(mount.Source)}, which the config does not mount`;
    } else if (type === 'volume') {
      // The local driver's options can mount any host path ("o=bind"); linkswitch sets none.
      if (set(object(mount.VolumeOptions).DriverConfig)) return 'a volume with driver options';
    } else if (type !== 'tmpfs') {
      return `a mount of type ${JSON.stringify(type)}`;
    }
  }
  return null;
}

function subsetProblem(values: unknown, allowed: ReadonlySet<string>, what: string, norm = (v: string) => v) {
  for (const value of list(values)) {
    if (typeof value !== 'string' || !allowed.has(norm(value)))
      return `${what} ${JSON.stringify(value)}, which the config does not ask for`;
  }
  return null;
}

/** Null when the create body of POST /containers/create asks only for what the config does. */
export function containerCreateProblem(body: unknown, allow: Allowance): string | null {
  const config = object(body);
  const host = object(config.HostConfig);
  const network = host.NetworkMode;
  // Host-wide switches linkswitch never sets: any value is refused.
  for (const key of [
    'Privileged',
    'Binds',
    'VolumesFrom',
    'Links',
    'Devices',
    'DeviceRequests',
    'DeviceCgroupRules',
    'CgroupParent',
    'UsernsMode',
    'UTSMode',
    'PidMode',
    'Runtime',
    'VolumeDriver',
  ]) {
    const value = host[key];
    if (set(value) && !(Array.isArray(value) && value.length === 0)) return `HostConfig.${key} is set`;
  }
  if (set(host.IpcMode) && !['private', 'shareable', 'none'].includes(String(host.IpcMode)))
    return `HostConfig.IpcMode ${JSON.stringify(host.IpcMode)}`;
  if (host.CgroupnsMode === 'host') return 'HostConfig.CgroupnsMode "host"';
  if (set(network) && !['default', 'bridge', 'none'].includes(String(network)) && !allow.networks.has(String(network)))
    return `network mode ${JSON.stringify(network)}, which the config does not use`;
  const endpoints = Object.keys(object(object(config.NetworkingConfig).EndpointsConfig));
  for (const name of endpoints)
    if (!allow.networks.has(name) && name !== network) return `the network ${JSON.stringify(name)}`;
  return (
    labelProblem(config.Labels, allow) ??
    mountProblem(host.Mounts, allow) ??
    subsetProblem(host.CapAdd, allow.capAdd, 'the capability', capName) ??
    subsetProblem(host.SecurityOpt, allow.securityOpt, 'the security option') ??
    subsetProblem(Object.keys(object(host.Sysctls)), allow.sysctls, 'the sysctl')
  );
}

/** Null when a Swarm service spec (create or update) asks only for what the config does. */
export function serviceSpecProblem(body: unknown, allow: Allowance): string | null {
  const spec = object(body);
  const task = object(spec.TaskTemplate);
  const container = object(task.ContainerSpec);
  if (set(task.PluginSpec) || set(task.NetworkAttachmentSpec)) return 'a task that is not a container';
  const privileges = object(container.Privileges);
  if (set(privileges.CredentialSpec) || set(object(privileges.SELinuxContext).Disable))
    return 'ContainerSpec.Privileges';
  for (const net of list(task.Networks).map(object)) {
    if (typeof net.Target === 'string' && !allow.networks.has(net.Target))
      return `the network ${JSON.stringify(net.Target)}`;
  }
  return (
    labelProblem(spec.Labels, allow) ??
    labelProblem(container.Labels, allow) ??
    mountProblem(container.Mounts, allow) ??
    subsetProblem(container.CapabilityAdd, allow.capAdd, 'the capability', capName) ??
    subsetProblem(Object.keys(object(container.Sysctls)), allow.sysctls, 'the sysctl')
  );
}

/** POST /networks/{id}/connect: the container joining must be one of linkswitch's. */
export function connectTarget(body: unknown): string | null {
  const container = object(body).Container;
  return typeof container === 'string' && container !== '' ? container : null;
}

/** True when a container inspect or service inspect carries the linkswitch.service label. */
export function ownedByLinkswitch(inspect: unknown): boolean {
  const root = object(inspect);
  const labels = object(object(root.Config).Labels ?? object(root.Spec).Labels);
  return typeof labels[SERVICE_LABEL] === 'string';
}
