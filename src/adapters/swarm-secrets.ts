import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, errnoCode } from '../core/errors.js';
import type { ServiceSettings } from '../core/settings.js';
import { LABEL_SERVICE } from './docker.js';
import type { DockerClient } from './docker-client.js';

// Swarm delivers secrets to every node itself: each secret file becomes a Swarm secret named
// by its content (`<service>-<name>-<hash>`), so a changed file is a new secret and the warm
// colour keeps the one it was started with. Returns secret name → Swarm secret ID.

export async function ensureSecrets(client: DockerClient, service: ServiceSettings): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const secret of service.container.secrets) {
    let data: Buffer;
    try {
      data = await readFile(secret.file);
    } catch (error) {
      throw new ConfigError(`secret ${secret.name}: cannot read ${secret.file} (${errnoCode(error) ?? 'error'})`, {
        fix: 'create the file, or fix its path under secrets:',
        cause: error,
      });
    }
    const hash = createHash('sha256').update(data).digest('hex').slice(0, 12);
    const name = `${service.name}-${secret.name}-${hash}`;
    const existing = await client.find(`inspect secret ${name}`, (api) => api.getSecret(name).inspect());
    if (existing) {
      ids[secret.name] = existing.ID;
      continue;
    }
    const created = (await client.call(`create secret ${name}`, (api) =>
      api.createSecret({ Name: name, Labels: { [LABEL_SERVICE]: service.name }, Data: data.toString('base64') }),
    )) as { id?: string; ID?: string };
    ids[secret.name] = created.id ?? created.ID ?? name;
  }
  return ids;
}
