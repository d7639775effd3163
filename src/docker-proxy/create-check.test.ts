import { describe, expect, it } from 'vitest';
import { containerCreateOptions, swarmTaskOptions } from '../adapters/container-options.js';
import { parseConfig } from '../config/load.js';
import { allowanceFrom, containerCreateProblem, ownedByLinkswitch, serviceSpecProblem } from './create-check.js';

// The create bodies linkswitch itself builds (container-options.ts) pass; the same bodies with one
// thing the config does not ask for are refused, with that thing named.

const settings = parseConfig(
  [
    'service:',
    '  name: web',
    '  image: app:1',
    '  port: 8080',
    '  volumes: ["/srv/web/data:/data", "cache:/cache"]',
    '  tmpfs: [/tmp]',
    '  cap_add: [NET_BIND_SERVICE]',
    '  sysctls: { net.core.somaxconn: "1024" }',
    'network: { mode: network, name: app }',
    '',
  ].join('\n'),
  '/srv/app/linkswitch.yml',
);
const allow = allowanceFrom(settings);
const service = settings.service;

function createBody(extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  const { config, host } = containerCreateOptions(service);
  host.NetworkMode = 'app';
  return {
    ...config,
    Image: 'app:1',
    Labels: { 'linkswitch.service': 'web', 'linkswitch.colour': 'blue', ...labels },
    HostConfig: { ...host, ...extra },
  };
}

describe('containerCreateProblem', () => {
  it('passes the body linkswitch builds from the config', () => {
    expect(containerCreateProblem(createBody(), allow)).toBeNull();
  });

  it('refuses privileged, host namespaces, devices and legacy binds', () => {
    expect(containerCreateProblem(createBody({ Privileged: true }), allow)).toBe('HostConfig.Privileged is set');
    expect(containerCreateProblem(createBody({ PidMode: 'host' }), allow)).toBe('HostConfig.PidMode is set');
    expect(containerCreateProblem(createBody({ IpcMode: 'host' }), allow)).toMatch(/IpcMode/);
    expect(containerCreateProblem(createBody({ NetworkMode: 'host' }), allow)).toMatch(/network mode "host"/);
    expect(containerCreateProblem(createBody({ NetworkMode: 'container:haproxy' }), allow)).toMatch(/network mode/);
    expect(containerCreateProblem(createBody({ Devices: [{ PathOnHost: '/dev/sda' }] }), allow)).toMatch(/Devices/);
    expect(containerCreateProblem(createBody({ Binds: ['/:/host'] }), allow)).toMatch(/Binds/);
  });

  it('refuses a bind of a host path the config does not mount, and volume driver options', () => {
    const root = createBody({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] });
    expect(containerCreateProblem(root, allow)).toBe('a bind of "/", which the config does not mount');
    const sock = createBody({ Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s' }] });
    expect(containerCreateProblem(sock, allow)).toMatch(/docker\.sock/);
    const driver = createBody({
      Mounts: [{ Type: 'volume', Target: '/x', VolumeOptions: { DriverConfig: { Options: { o: 'bind' } } } }],
    });
    expect(containerCreateProblem(driver, allow)).toBe('a volume with driver options');
  });

  it('refuses capabilities, security options and sysctls beyond the config’s', () => {
    expect(containerCreateProblem(createBody({ CapAdd: ['NET_BIND_SERVICE', 'SYS_ADMIN'] }), allow)).toBe(
      'the capability "SYS_ADMIN", which the config does not ask for',
    );
    expect(containerCreateProblem(createBody({ CapAdd: ['CAP_NET_BIND_SERVICE'] }), allow)).toBeNull();
    expect(containerCreateProblem(createBody({ SecurityOpt: ['seccomp=unconfined'] }), allow)).toMatch(/seccomp/);
    expect(containerCreateProblem(createBody({ Sysctls: { 'kernel.shm_rmid_forced': '1' } }), allow)).toMatch(/sysctl/);
  });

  it('refuses a container of no configured service', () => {
    expect(containerCreateProblem({ ...createBody(), Labels: {} }, allow)).toBe('it has no linkswitch.service label');
    expect(containerCreateProblem(createBody({}, { 'linkswitch.service': 'other' }), allow)).toMatch(/other/);
  });
});

describe('serviceSpecProblem', () => {
  const spec = (container: Record<string, unknown> = {}) => {
    const { container: base, template } = swarmTaskOptions(service, {});
    const labels = { 'linkswitch.service': 'web' };
    return {
      Name: 'web-blue',
      Labels: labels,
      TaskTemplate: { ...template, ContainerSpec: { Image: 'app:1', Labels: labels, ...base, ...container } },
    };
  };

  it('passes the spec linkswitch builds and refuses host binds and extra capabilities', () => {
    expect(serviceSpecProblem(spec(), allow)).toBeNull();
    expect(serviceSpecProblem(spec({ Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e' }] }), allow)).toMatch(
      /"\/etc"/,
    );
    expect(serviceSpecProblem(spec({ CapabilityAdd: ['CAP_SYS_ADMIN'] }), allow)).toMatch(/CAP_SYS_ADMIN/);
    expect(serviceSpecProblem({ ...spec(), Labels: {} }, allow)).toMatch(/label/);
  });
});

describe('ownedByLinkswitch', () => {
  it('reads the label of a container inspect and of a service inspect', () => {
    expect(ownedByLinkswitch({ Config: { Labels: { 'linkswitch.service': 'web' } } })).toBe(true);
    expect(ownedByLinkswitch({ Spec: { Labels: { 'linkswitch.service': 'web' } } })).toBe(true);
    expect(ownedByLinkswitch({ Config: { Labels: { 'com.docker.compose.service': 'haproxy' } } })).toBe(false);
    expect(ownedByLinkswitch({})).toBe(false);
  });
});
