import Docker from 'dockerode';
import type { Config } from '../config/load.js';
import type { Colour } from '../core/colour.js';
import { DockerError, messageOf } from '../core/errors.js';
import { containerName } from '../core/naming.js';
import type { ContainerHealth, DockerPort, ObservedContainer } from '../core/ports.js';
import { safeImage } from '../core/safe-values.js';

// The only module that imports dockerode. Containers are built from the config's allow-listed
// fields alone: no privileged mode, no host mounts, no capabilities beyond Docker's defaults.

export const LABEL_SERVICE = 'linkswitch.service';
export const LABEL_COLOUR = 'linkswitch.colour';

/** A Docker event about one of the service's colour containers (for `serve`). */
export interface ColourEvent {
  colour: Colour;
  container: string;
  /** die: the process exited (crash, kill, stop); unhealthy/healthy: its HEALTHCHECK changed. */
  action: 'die' | 'unhealthy' | 'healthy' | 'start';
  exitCode: number | null;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** Docker's error bodies are JSON with a "message"; show that, not the HTTP wrapper. */
function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  return (json?.message ?? messageOf(error)).split('\n')[0] ?? '';
}

/** Non-TTY container logs are multiplexed: 8-byte headers (stream, 0, 0, 0, size BE32) + payload. */
export function demuxLogs(buffer: Buffer): string {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    const stream = buffer[offset];
    if (stream !== 1 && stream !== 2) return buffer.toString('utf8');
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return parts.join('');
}

export class DockerEngine implements DockerPort {
  private readonly docker: Docker;

  constructor(
    private readonly config: Config,
    docker?: Docker,
  ) {
    this.docker = docker ?? new Docker();
  }

  private name(colour: Colour): string {
    return containerName(this.config.service.name, colour);
  }

  /** Every dockerode call goes through here so an unreachable engine is one clear error. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof DockerError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
        throw new DockerError(`cannot reach the Docker engine (${code}) while trying to ${what}`, {
          fix: 'start dockerd (or set DOCKER_HOST) and check you may use /var/run/docker.sock; traffic was not changed',
          cause: error,
        });
      }
      throw new DockerError(`Docker failed to ${what}: ${dockerMessage(error)}`, { cause: error });
    }
  }

  async inspect(colour: Colour): Promise<ObservedContainer | null> {
    const name = this.name(colour);
    return this.call(`inspect ${name}`, async () => {
      try {
        const info = await this.docker.getContainer(name).inspect();
        return this.toObserved(colour, info);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  private toObserved(colour: Colour, info: Docker.ContainerInspectInfo): ObservedContainer {
    // A crash-looping container is "Running" between restarts; it is not serving.
    const running = info.State.Running === true && info.State.Restarting !== true;
    const health = (info.State.Health?.Status ?? 'none') as ContainerHealth;
    const portKey = `${this.config.service.port}/tcp`;
    let address: ObservedContainer['address'] = null;
    let probeAddress: ObservedContainer['probeAddress'] = null;
    if (running) {
      if (this.config.network.mode === 'published') {
        const binding = info.NetworkSettings.Ports?.[portKey]?.[0];
        if (binding?.HostPort) {
          address = { host: binding.HostIp || this.config.network.hostIp, port: Number(binding.HostPort) };
          probeAddress = address;
        }
      } else {
        const net = info.NetworkSettings.Networks?.[this.config.network.name];
        address = { host: info.Name.replace(/^\//, ''), port: this.config.service.port };
        // The controller may run outside the network (on the host): probe by IP, which the
        // host can reach on Linux bridge networks, while HAProxy uses the stable name.
        probeAddress = net?.IPAddress ? { host: net.IPAddress, port: this.config.service.port } : address;
      }
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
    const exists = await this.call(`inspect image ${image}`, async () => {
      try {
        await this.docker.getImage(image).inspect();
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    });
    const policy = this.config.service.pull;
    if ((exists && policy !== 'always') || (!exists && policy === 'never')) {
      if (!exists)
        throw new DockerError(`image ${image} does not exist locally and service.pull is "never"`, {
          fix: 'build or load the image first (docker build / docker load)',
        });
      return;
    }
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
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
    await this.call(`create ${name} from ${image}`, () =>
      this.docker.createContainer({
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
    await this.call(`start ${name}`, async () => {
      try {
        await this.docker.getContainer(name).start();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 304) return; // already running
        throw error;
      }
    });
    const observed = await this.inspect(colour);
    if (!observed)
      throw new DockerError(`container ${name} vanished right after it was started`, {
        fix: 'check that nothing else removes linkswitch containers',
      });
    return observed;
  }

  async stop(colour: Colour): Promise<void> {
    const name = this.name(colour);
    await this.call(`stop ${name}`, async () => {
      try {
        await this.docker.getContainer(name).stop({ t: this.config.service.stopTimeout });
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 304 || status === 404) return;
        throw error;
      }
    });
  }

  async remove(colour: Colour): Promise<void> {
    const name = this.name(colour);
    await this.call(`remove ${name}`, async () => {
      try {
        await this.docker.getContainer(name).remove({ force: true, v: true });
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
    });
  }

  /**
   * Follows Docker's event stream for this service's colour containers. Resolves once the
   * stream is open; `onEnd` is called when the engine closes it (restart, error) so the caller
   * can reconnect. Returns a function that stops following.
   */
  async watchEvents(onEvent: (event: ColourEvent) => void, onEnd: (error?: unknown) => void): Promise<() => void> {
    const stream = (await this.call('follow Docker events', () =>
      this.docker.getEvents({
        filters: {
          type: ['container'],
          label: [`${LABEL_SERVICE}=${this.config.service.name}`],
          event: ['die', 'health_status', 'start'],
        },
      }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    let buffered = '';
    let stopped = false;
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const event = line.trim() ? toColourEvent(line) : null;
        if (event) onEvent(event);
      }
    });
    stream.on('error', (error: unknown) => {
      if (!stopped) onEnd(error);
      stopped = true;
    });
    stream.on('end', () => {
      if (!stopped) onEnd();
      stopped = true;
    });
    return () => {
      stopped = true;
      stream.destroy();
    };
  }

  async logs(colour: Colour, lines: number): Promise<string> {
    const name = this.name(colour);
    return this.call(`read logs of ${name}`, async () => {
      try {
        const buffer = (await this.docker
          .getContainer(name)
          .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
        return demuxLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
      } catch (error) {
        if (isNotFound(error)) return '';
        throw error;
      }
    });
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

function parseMemory(value: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(value)!;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}
