import { RETIRED_INFIX as RETIRED } from '../core/naming.js';
import type { DockerClient } from './docker-client.js';

// A deploy replaces the idle colour's container. Removing it (kill, then delete with its
// anonymous volumes) takes Docker ~150 ms, and the new container needs its name: so the old one
// is renamed first (a few ms), which frees the name at once, and Docker removes it once the new
// colour has started, while it warms up. The deploy waits for that removal before HAProxy is
// pointed at the new colour. A crash in between leaves a `<name>-retired-<time>` container,
// which the next retire or `down` of that colour removes.

/** Renames `name` out of the way; `remove` then removes it (and earlier leftovers). */
export async function retireContainer(client: DockerClient, name: string): Promise<{ remove(): Promise<void> }> {
  const retired = `${name}${RETIRED}${Date.now().toString(36)}`;
  const renamed = await client.find(`rename ${name} to ${retired}`, (api) =>
    api.getContainer(name).rename({ name: retired }),
  );
  return {
    remove: () =>
      Promise.all([
        renamed === null ? undefined : removeNamed(client, retired),
        removeRetired(client, name, retired),
      ]).then(() => undefined),
  };
}

/** Removes what earlier, interrupted retires of `name` left behind (all but `except`). */
export async function removeRetired(client: DockerClient, name: string, except?: string): Promise<void> {
  const found = await client.call(`list retired containers of ${name}`, (api) =>
    api.listContainers({ all: true, filters: { name: [`${name}${RETIRED}`] } }),
  );
  const leftovers = found
    .flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
    // Docker's name filter matches substrings: keep exactly this colour's leftovers.
    .filter((n) => n.startsWith(`${name}${RETIRED}`) && /^[a-z0-9]+$/.test(n.slice(name.length + RETIRED.length)))
    .filter((n) => n !== except);
  await Promise.all(leftovers.map((n) => removeNamed(client, n)));
}

function removeNamed(client: DockerClient, name: string): Promise<void> {
  return client.tolerate(`remove ${name}`, [404], (api) => api.getContainer(name).remove({ force: true, v: true }));
}
