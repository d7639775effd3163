import type Docker from 'dockerode';
import type { Colour } from '../core/colour.js';
import { DockerError, RegistryAuthError } from '../core/errors.js';
import { containerName } from '../core/naming.js';
import type {
  ColourLabels,
  ContainerHealth,
  DockerPort,
  ObservedContainer,
  OneOffOutcome,
  OneOffRequest,
} from '../core/ports.js';
import { safeImage } from '../core/safe-values.js';
import type { Settings } from '../core/settings.js';
import { containerCreateOptions } from './container-options.js';
import { DockerClient, logText, PortTakenError } from './docker-client.js';
import { freePort } from './free-port.js';
import { checkDependencies, connectNetworks } from './networks.js';
import { removeRetired, retireContainer } from './retire.js';

// The container engine: one container `<service>-<colour>` per colour on this host. Containers
// are built from the config's allow-listed fields alone: no privileged mode, no host mounts, no
// capabilities beyond Docker's defaults. Its Docker events feed the sidecar's failover.

/** Tries of a freshly chosen host port before a deploy gives up (each one lost a race). */
const PORT_ATTEMPTS = 3;

export const LABEL_SERVICE = 'linkswitch.service';
export const LABEL_COLOUR = 'linkswitch.colour';
export const LABEL_GENERATION = 'linkswitch.generation';

/** What linkswitch's labels on a container or service say (see ObservedContainer.owner). */
export function ownerOf(labels: Record<string, string> | undefined | null): ObservedContainer['owner'] {
  const generation = Number(labels?.[LABEL_GENERATION]);
  return {
    service: labels?.[LABEL_SERVICE] ?? null,
    generation: Number.isInteger(generation) && generation >= 0 ? generation : null,
  };
}

export class DockerEngine implements DockerPort {
  readonly client: DockerClient;

  constructor(
    private readonly config: Settings,
    api?: Docker,
  ) {
    this.client = new DockerClient(
      {
        unreachableFix:
          'start dockerd (or set DOCKER_HOST) and check you may use /var/run/docker.sock; traffic was not changed',
      },
      api,
    );
  }

  private name(colour: Colour): string {
    return containerName(this.config.service.name, colour);
  }

  async inspect(colour: Colour): Promise<ObservedContainer | null> {
    const name = this.name(colour);
    const info = await this.client.inspectContainer(name);
    return info ? this.toObserved(colour, info) : null;
  }

  private toObserved(colour: Colour, info: Docker.ContainerInspectInfo): ObservedContainer {
    // A crash-looping container is "Running" between restarts; it is not serving.
    const running = info.State.Running === true && info.State.Restarting !== true;
    const health = (info.State.Health?.Status ?? 'none') as ContainerHealth;
    const { network, service } = this.config;
    let address: ObservedContainer['address'] = null;
    let probeAddress: ObservedContainer['probeAddress'] = null;
    if (running && network.mode === 'published') {
      const binding = info.NetworkSettings.Ports?.[`${service.port}/tcp`]?.[0];
      if (binding?.HostPort) {
        address = { host: binding.HostIp || network.hostIp, port: Number(binding.HostPort) };
        // Docker's userland proxy accepts on a published port before the app listens, so a TCP
        // connect there proves nothing: a TCP service is probed on its container IP instead.
        const ip = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n?.IPAddress)?.IPAddress;
        probeAddress = service.mode === 'tcp' && ip ? { host: ip, port: service.port } : address;
      }
    } else if (running && network.mode === 'network') {
      const net = info.NetworkSettings.Networks?.[network.name];
      address = { host: info.Name.replace(/^\//, ''), port: service.port };
      // The controller may run outside the network (on the host): probe by IP, which the
      // host can reach on Linux bridge networks, while HAProxy uses the stable name.
      probeAddress = net?.IPAddress ? { host: net.IPAddress, port: service.port } : address;
    }
    return {
      colour,
      name: info.Name.replace(/^\//, ''),
      id: info.Id,
      image: info.Config.Image,
      running,
      exitCode: running ? null : info.State.ExitCode,
      restarts: info.RestartCount ?? 0,
      health,
      address,
      probeAddress,
      owner: ownerOf(info.Config.Labels),
    };
  }

  private async ensureImage(image: string): Promise<void> {
    const exists = (await this.client.find(`inspect image ${image}`, (api) => api.getImage(image).inspect())) !== null;
    const policy = this.config.service.pull;
    if ((exists && policy !== 'always') || (!exists && policy === 'never')) {
      if (!exists) {
        throw new DockerError(`image ${image} does not exist locally and service.pull is "never"`, {
          fix: 'build or load the image first (docker build / docker load)',
        });
      }
      return;
    }
    // Loaded when a pull happens, not at every start (the sidecar's memory).
    const { pullImage, registryAuthFor } = await import('./registry-auth.js');
    const found = await registryAuthFor(image);
    try {
      await pullImage(this.client, image, found);
    } catch (error) {
      // Wrong credentials are an error even with a local copy: the next pull would fail the same way.
      if (error instanceof RegistryAuthError || !exists) throw error;
      // "always" with an unreachable registry: the local copy still serves.
    }
  }

  async run(colour: Colour, image: string, labels?: ColourLabels): Promise<ObservedContainer> {
    safeImage(image);
    await this.ensureImage(image);
    await checkDependencies(this.client, this.config.service);
    if (this.config.network.mode !== 'published') {
      await this.create(colour, image, labels, null);
      return this.start(colour);
    }
    // A host port chosen here and written into the container's binding (not one Docker picks):
    // the engine binds the same port again when it restarts the container after its own restart
    // or a reboot, so the haproxy.cfg that names it stays right without anyone running `up`.
    for (let attempt = 1; ; attempt++) {
      await this.create(colour, image, labels, await freePort(this.config.network.hostIp));
      try {
        return await this.start(colour);
      } catch (error) {
        // Taken between our check and Docker's bind: another port, a few times.
        if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
        await this.remove(colour);
      }
    }
  }

  private async create(colour: Colour, image: string, labels: ColourLabels | undefined, hostPort: number | null) {
    const { service, network } = this.config;
    const name = this.name(colour);
    const portKey = `${service.port}/tcp`;
    const { config, host } = containerCreateOptions(service);
    if (network.mode === 'published') {
      host.PortBindings = { [portKey]: [{ HostIp: network.hostIp, HostPort: String(hostPort) }] };
    } else {
      host.NetworkMode = network.name;
    }
    const primary = network.mode === 'network' ? network.name : null;
    const aliases = [
      ...service.container.aliases,
      ...service.container.networks.filter((n) => n.name === primary).flatMap((n) => n.aliases),
    ];
    const created = await this.client.call(`create ${name} from ${image}`, (api) =>
      api.createContainer({
        ...config,
        name,
        Image: image,
        Labels: {
          ...service.labels,
          [LABEL_SERVICE]: service.name,
          [LABEL_COLOUR]: colour,
          ...(labels ? { [LABEL_GENERATION]: String(labels.generation) } : {}),
        },
        ExposedPorts: Object.fromEntries([service.port, ...service.container.expose].map((p) => [`${p}/tcp`, {}])),
        HostConfig: host,
        ...(primary && aliases.length
          ? { NetworkingConfig: { EndpointsConfig: { [primary]: { Aliases: aliases } } } }
          : {}),
      }),
    );
    await connectNetworks(
      this.client,
      created.id,
      name,
      service.container.networks.filter((n) => n.name !== primary),
    );
  }

  async start(colour: Colour): Promise<ObservedContainer> {
    const name = this.name(colour);
    // 304: already running.
    await this.client.tolerate(`start ${name}`, [304], (api) => api.getContainer(name).start());
    const observed = await this.inspect(colour);
    if (!observed) {
      throw new DockerError(`container ${name} vanished right after it was started`, {
        fix: 'check that nothing else removes linkswitch containers',
      });
    }
    return observed;
  }

  async stop(colour: Colour): Promise<void> {
    const name = this.name(colour);
    // 304: already stopped; 404: gone.
    await this.client.tolerate(`stop ${name}`, [304, 404], (api) =>
      api.getContainer(name).stop({ t: this.config.service.stopTimeout }),
    );
  }

  async remove(colour: Colour): Promise<void> {
    const name = this.name(colour);
    // Side by side: the leftovers are other containers, and a deploy waits for this removal.
    const [removed, leftovers] = await Promise.allSettled([
      this.client.tolerate(`remove ${name}`, [404], (api) => api.getContainer(name).remove({ force: true, v: true })),
      removeRetired(this.client, name),
    ]);
    for (const outcome of [removed, leftovers]) if (outcome.status === 'rejected') throw outcome.reason;
  }

  retire(colour: Colour): Promise<void> {
    return retireContainer(this.client, this.name(colour));
  }

  removeRetired(colour: Colour): Promise<void> {
    return removeRetired(this.client, this.name(colour));
  }

  async runOnce(image: string, argv: string[], options: OneOffRequest): Promise<OneOffOutcome> {
    safeImage(image);
    await this.ensureImage(image);
    const { network } = this.config;
    const { runOneOff } = await import('./one-off.js');
    return runOneOff(this.client, this.config.service, {
      ...options,
      image,
      argv,
      primaryNetwork: network.mode === 'network' ? network.name : null,
    });
  }

  async logs(colour: Colour, lines: number): Promise<string> {
    const name = this.name(colour);
    const buffer = await this.client.find(`read logs of ${name}`, (api) =>
      api.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
    );
    return buffer === null ? '' : logText(buffer);
  }
}
