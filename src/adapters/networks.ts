import type { NetworkAttachment } from '../core/container-spec.js';
import { DockerError } from '../core/errors.js';
import type { ServiceSettings } from '../core/settings.js';
import { type DockerClient, isNotFound } from './docker-client.js';

// A container's networks beyond the one HAProxy reaches it on. Docker 20.10 (API 1.41) takes one
// network at create, so the others are connected after the create and before the start; a
// missing network removes the half-made container again, so a failed deploy leaves nothing.

export async function connectNetworks(
  client: DockerClient,
  id: string,
  name: string,
  networks: NetworkAttachment[],
): Promise<void> {
  for (const network of networks) {
    try {
      await client.call(`connect ${name} to network ${network.name}`, async (api) => {
        try {
          await api.getNetwork(network.name).connect({ Container: id, EndpointConfig: { Aliases: network.aliases } });
        } catch (error) {
          if (!isNotFound(error)) throw error;
          throw new DockerError(`network ${network.name} does not exist (needed by ${name})`, {
            fix: 'create it first (docker network create, or `docker compose up -d` for the accessories that define it)',
            cause: error,
          });
        }
      });
    } catch (error) {
      await client.tolerate(`remove ${name}`, [404], (api) => api.getContainer(id).remove({ force: true, v: true }));
      throw error;
    }
  }
}

/**
 * A service taken from compose that `depends_on` accessories: they are compose's to start
 * (`docker compose up -d db`), so a deploy checks they run before it creates a colour.
 */
export async function checkDependencies(client: DockerClient, service: ServiceSettings): Promise<void> {
  const source = service.composeSource;
  if (!source) return;
  for (const dependency of source.dependsOn) {
    const running = await client.call(`look for compose service ${dependency}`, (api) =>
      api.listContainers({
        filters: {
          label: [`com.docker.compose.project=${source.project}`, `com.docker.compose.service=${dependency}`],
          status: ['running'],
        },
      }),
    );
    if (running.length === 0)
      throw new DockerError(`${service.name} depends on compose service ${dependency}, which is not running`, {
        fix: `start it first: docker compose -p ${source.project} up -d ${dependency}`,
      });
  }
}
