import type Docker from 'dockerode';
import type { Colour } from '../core/colour.js';
import { DockerError } from '../core/errors.js';
import { containerName } from '../core/naming.js';
import type {
  ColourLabels,
  DockerPort,
  ObservedContainer,
  OneOffOutcome,
  OneOffRequest,
  TaskView,
} from '../core/ports.js';
import { safeImage } from '../core/safe-values.js';
import type { Settings, SwarmSettings } from '../core/settings.js';
import { ownerOf } from './docker.js';
import { DockerClient, logText } from './docker-client.js';
import { ensureSecrets } from './swarm-secrets.js';
import { serviceSpec } from './swarm-spec.js';
import { classifyTasks, type TaskInfo, withoutDigest } from './swarm-tasks.js';

// The Swarm engine: each colour is a replicated Swarm service `<name>-<colour>` (endpoint mode
// dnsrr) on an attachable overlay network, and HAProxy finds its tasks through Docker's DNS
// (`tasks.<name>-<colour>`, a server-template per colour). It implements the same DockerPort as
// the single-host engine, so the core's plans, health gates, state and lock are shared:
//   run   = create the service, or update its image in place (a forced update: fresh tasks)
//   start = scale to the configured replicas (a new generation); stop = scale to 0 (kept for
//           `docker service logs`)
// Its health comes from Swarm's task states (swarm-tasks.ts).

interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: Docker.ServiceSpec & {
    TaskTemplate: { ContainerSpec: { Image: string }; ForceUpdate?: number };
    Mode?: { Replicated?: { Replicas?: number } };
  };
}

export class SwarmEngine implements DockerPort {
  readonly updatesInPlace = true;
  private readonly client: DockerClient;

  constructor(
    private readonly config: Settings,
    private readonly engine: SwarmSettings,
    api?: Docker,
  ) {
    this.client = new DockerClient(
      {
        unreachableFix: 'start dockerd (or set DOCKER_HOST) on a Swarm manager; traffic was not changed',
        byStatus: {
          503: (what, error) =>
            new DockerError(`Docker failed to ${what}: this engine is not a Swarm manager`, {
              fix:
                'run linkswitch against a manager node (`docker swarm init` or `docker swarm join` as manager); ' +
                'traffic was not changed',
              cause: error,
            }),
        },
      },
      api,
    );
  }

  private name(colour: Colour): string {
    return containerName(this.config.service.name, colour);
  }

  private async service(colour: Colour): Promise<ServiceInfo | null> {
    const name = this.name(colour);
    return this.client.find(
      `inspect service ${name}`,
      async (api) => (await api.getService(name).inspect()) as ServiceInfo,
    );
  }

  async inspect(colour: Colour): Promise<ObservedContainer | null> {
    const info = await this.service(colour);
    if (!info) return null;
    const name = this.name(colour);
    const [tasks, nodes] = await Promise.all([
      this.client.call(
        `list the tasks of ${name}`,
        async (api) => (await api.listTasks({ filters: { service: [name] } })) as TaskInfo[],
      ),
      this.client.call(
        'list the Swarm nodes',
        async (api) => (await api.listNodes()) as Array<{ ID: string; Description?: { Hostname?: string } }>,
      ),
    ]);
    const hostnames = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
    const template = info.Spec.TaskTemplate;
    const image = withoutDigest(template.ContainerSpec.Image);
    const replicas = info.Spec.Mode?.Replicated?.Replicas ?? 0;
    const own = tasks.filter((t) => t.ServiceID === info.ID);
    const { health, desired, failed } = classifyTasks(own, { image, forceUpdate: template.ForceUpdate ?? 0, replicas });
    const running = replicas > 0;
    const view = (t: TaskInfo): TaskView => ({
      id: t.ID.slice(0, 12),
      node: t.NodeID ? (hostnames.get(t.NodeID) ?? t.NodeID) : '-',
      state: t.Status.State,
      image: withoutDigest(t.Spec.ContainerSpec?.Image ?? ''),
      error: t.Status.Err ?? null,
      address: this.overlayAddress(t),
    });
    const address = running ? { host: `tasks.${name}`, port: this.config.service.port } : null;
    return {
      colour,
      name,
      id: info.ID,
      image,
      running,
      exitCode: running ? null : 0,
      restarts: failed.length,
      health,
      address,
      // The controller need not be on the overlay network: health comes from Swarm's task states.
      probeAddress: null,
      owner: ownerOf(info.Spec.Labels),
      tasks: [...desired, ...failed].map(view).sort((a, b) => a.node.localeCompare(b.node) || a.id.localeCompare(b.id)),
    };
  }

  /** The task's IP on engine.network: what Docker's DNS gives HAProxy for it. */
  private overlayAddress(task: TaskInfo): string | null {
    const attachment = task.NetworksAttachments?.find(
      (a) => a.Network?.Spec?.Name === this.engine.network || a.Network?.ID === this.engine.network,
    );
    return attachment?.Addresses?.[0]?.split('/')[0] ?? null;
  }

  private async update(info: ServiceInfo, spec: Docker.ServiceSpec, auth?: object): Promise<void> {
    const name = spec.Name ?? info.ID;
    const body = { _query: { version: info.Version.Index }, _body: spec } as unknown as Record<string, unknown>;
    await this.client.call(`update service ${name}`, (api) => {
      // dockerode's update(auth, opts): the credentials go in the X-Registry-Auth header.
      const service = api.getService(info.ID) as unknown as { update(...args: object[]): Promise<unknown> };
      return auth ? service.update(auth, body) : service.update(body);
    });
  }

  async run(colour: Colour, image: string, labels?: ColourLabels): Promise<ObservedContainer> {
    safeImage(image);
    const name = this.name(colour);
    const existing = await this.service(colour);
    // A private image: the credentials go with the service so every node can pull, after one
    // pull here proves them (a wrong password then fails before any service changes).
    const { pullImage, registryAuthFor } = await import('./registry-auth.js');
    const found = await registryAuthFor(image);
    if (found) await pullImage(this.client, image, found);
    const secretIds = await ensureSecrets(this.client, this.config.service);
    if (existing) {
      // A forced update even for the same image: a deploy always gets fresh tasks.
      const force = (existing.Spec.TaskTemplate.ForceUpdate ?? 0) + 1;
      await this.update(
        existing,
        serviceSpec(this.config, this.engine, {
          colour,
          image,
          replicas: this.engine.replicas,
          forceUpdate: force,
          generation: labels?.generation,
          secretIds,
        }),
        found?.auth,
      );
    } else {
      const spec = serviceSpec(this.config, this.engine, {
        colour,
        image,
        replicas: this.engine.replicas,
        forceUpdate: 0,
        generation: labels?.generation,
        secretIds,
      });
      await this.client.call(`create service ${name} from ${image}`, (api) =>
        found
          ? api.createService(found.auth, spec as Docker.CreateServiceOptions)
          : api.createService(spec as Docker.CreateServiceOptions),
      );
    }
    return this.observedOrFail(colour);
  }

  private async observedOrFail(colour: Colour): Promise<ObservedContainer> {
    const observed = await this.inspect(colour);
    if (!observed) {
      throw new DockerError(`service ${this.name(colour)} vanished right after it was changed`, {
        fix: 'check that nothing else removes linkswitch services',
      });
    }
    return observed;
  }

  private async scale(colour: Colour, replicas: number): Promise<void> {
    const info = await this.service(colour);
    if (!info) return;
    if ((info.Spec.Mode?.Replicated?.Replicas ?? 0) === replicas) return;
    const template = {
      ...info.Spec.TaskTemplate,
      ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + (replicas > 0 ? 1 : 0),
    };
    // Scaling up starts a new generation (ForceUpdate + 1): earlier failed tasks no longer count.
    const spec = {
      ...info.Spec,
      TaskTemplate: template,
      Mode: { Replicated: { Replicas: replicas } },
    } as Docker.ServiceSpec;
    await this.update(info, spec);
  }

  async start(colour: Colour): Promise<ObservedContainer> {
    await this.scale(colour, this.engine.replicas);
    return this.observedOrFail(colour);
  }

  async stop(colour: Colour): Promise<void> {
    await this.scale(colour, 0);
  }

  async remove(colour: Colour): Promise<void> {
    const name = this.name(colour);
    await this.client.tolerate(`remove service ${name}`, [404], (api) => api.getService(name).remove());
  }

  /** One-off containers run on this (manager) node, on the stack's attachable overlay network. */
  async runOnce(image: string, argv: string[], options: OneOffRequest): Promise<OneOffOutcome> {
    safeImage(image);
    const { runOneOff } = await import('./one-off.js');
    return runOneOff(this.client, this.config.service, {
      ...options,
      image,
      argv,
      primaryNetwork: this.engine.network,
    });
  }

  async logs(colour: Colour, lines: number): Promise<string> {
    const name = this.name(colour);
    const buffer = await this.client.find(`read logs of service ${name}`, (api) =>
      api.getService(name).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
    );
    return buffer === null ? '' : logText(buffer);
  }
}
