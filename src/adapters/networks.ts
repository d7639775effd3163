import type { NetworkAttachment } from '../core/container-spec.js';
import { DockerError } from '../core/errors.js';
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
