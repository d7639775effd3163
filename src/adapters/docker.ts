import type Docker from 'dockerode';
import type { Colour } from '../core/colour.js';
import { DockerError } from '../core/errors.js';
import { containerName } from '../core/naming.js';
import type { ColourEvent, ColourEventSource, ContainerHealth, DockerPort, ObservedContainer } from '../core/ports.js';
import { safeImage } from '../core/safe-values.js';
import type { Settings } from '../core/settings.js';
import { DockerClient, dockerMessage, logText, parseMemory } from './docker-client.js';

// The container engine: one container `<service>-<colour>` per colour on this host. Containers
// are built from the config's allow-listed fields alone: no privileged mode, no host mounts, no
// capabilities beyond Docker's defaults. Its Docker events feed the sidecar's failover.

export const LABEL_SERVICE = 'linkswitch.service';
export const LABEL_COLOUR = 'linkswitch.colour';

export class DockerEngine implements DockerPort, ColourEventSource {
  private readonly client: DockerClient;

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
    const info = await this.client.find(`inspect ${name}`, (api) => api.getContainer(name).inspect());
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
        probeAddress = address;
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
    const { api } = this.client;
    try {
      const stream = await api.pull(image);
      await new Promise<void>((resolve, reject) =>
        api.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (error) {
      if (exists) return; // "always" with an unreachable registry: the local copy still serves.
      throw new DockerError(`image ${image} does not exist locally and cannot be pulled: ${dockerMessage(error)}`, {
        fix: 'check the image name and tag, or build/load it on this host (docker build / docker load)',
        cause: error,
      });
    }
  }

  async run(colour: Colour, image: string): Promise<ObservedContainer> {
    safeImage(image);
    await this.ensureImage(image);
    const { service, network } = this.config;
    const name = this.name(colour);
    const portKey = `${service.port}/tcp`;
    const hostConfig: Docker.HostConfig = {
      RestartPolicy: { Name: 'unless-stopped' },
      Privileged: false,
      ...(service.memory ? { Memory: parseMemory(service.memory) } : {}),
    };
    if (network.mode === 'published') {
      // HostPort "" lets Docker choose a free port; we read it back from inspect.
      hostConfig.PortBindings = { [portKey]: [{ HostIp: network.hostIp, HostPort: '' }] };
    } else {
      hostConfig.NetworkMode = network.name;
    }
    await this.client.call(`create ${name} from ${image}`, (api) =>
      api.createContainer({
        name,
        Image: image,
        Env: Object.entries(service.env).map(([key, value]) => `${key}=${value}`),
        Labels: { ...service.labels, [LABEL_SERVICE]: service.name, [LABEL_COLOUR]: colour },
        ExposedPorts: { [portKey]: {} },
        StopTimeout: service.stopTimeout,
        ...(service.command ? { Cmd: service.command } : {}),
        HostConfig: hostConfig,
      }),
    );
    return this.start(colour);
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
    await this.client.tolerate(`remove ${name}`, [404], (api) =>
      api.getContainer(name).remove({ force: true, v: true }),
    );
  }

  /**
   * Follows Docker's event stream for this service's colour containers. Resolves once the
   * stream is open; `onEnd` is called when the engine closes it (restart, error) so the caller
   * can reconnect. Returns a function that stops following.
   */
  async watch(onEvent: (event: ColourEvent) => void, onEnd: (error?: unknown) => void): Promise<() => void> {
    const filters = {
      type: ['container' as const],
      label: [`${LABEL_SERVICE}=${this.config.service.name}`],
      event: ['die', 'health_status', 'start'],
    };
    const stream = (await this.client.call('follow Docker events', (api) =>
      api.getEvents({ filters }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    let buffered = '';
    let stopped = false;
    const end = (error?: unknown) => {
      if (!stopped) onEnd(error);
      stopped = true;
    };
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const event = line.trim() ? toColourEvent(line) : null;
        if (event) onEvent(event);
      }
    });
    stream.on('error', (error: unknown) => end(error));
    stream.on('end', () => end());
    return () => {
      stopped = true;
      stream.destroy();
    };
  }

  async logs(colour: Colour, lines: number): Promise<string> {
    const name = this.name(colour);
    const buffer = await this.client.find(`read logs of ${name}`, (api) =>
      api.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
    );
    return buffer === null ? '' : logText(buffer);
  }
}

/** One line of the events stream (a JSON object) → a ColourEvent, or null for anything else. */
export function toColourEvent(line: string): ColourEvent | null {
  let raw: { Action?: string; Actor?: { Attributes?: Record<string, string> } };
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const attributes = raw.Actor?.Attributes ?? {};
  const colour = attributes[LABEL_COLOUR];
  if (colour !== 'blue' && colour !== 'green') return null;
  const action =
    raw.Action === 'health_status: unhealthy'
      ? 'unhealthy'
      : raw.Action === 'health_status: healthy'
        ? 'healthy'
        : raw.Action;
  if (action !== 'die' && action !== 'unhealthy' && action !== 'healthy' && action !== 'start') return null;
  const exitCode = attributes.exitCode === undefined ? null : Number(attributes.exitCode);
  return { colour, container: attributes.name ?? '', action, exitCode: Number.isFinite(exitCode) ? exitCode : null };
}
