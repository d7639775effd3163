import { RETIRED_INFIX as RETIRED } from '../core/naming.js';
import type { DockerClient } from './docker-client.js';

// A deploy replaces the idle colour's container. Removing it (kill, then delete with its
// anonymous volumes) takes Docker 150-250 ms, and the new container needs its name. The
// sidecar's deploy renames it instead (a few ms), which frees the name at once, and removes it
// a while after answering (src/sidecar/retired-removals.ts). A crash in between leaves a
// `<name>-retired-<time>` container, which the next `up`, the colour's next deploy or `down`
// removes.

/** Renames `name` out of the way (a missing container is fine: there is nothing to free). */
export async function retireContainer(client: DockerClient, name: string): Promise<void> {
  const retired = `${name}${RETIRED}${Date.now().toString(36)}`;
  await client.find(`rename ${name} to ${retired}`, (api) => api.getContainer(name).rename({ name: retired }));
}

/** Removes every retired container of `name`. */
export async function removeRetired(client: DockerClient, name: string): Promise<void> {
  const found = await client.call(`list retired containers of ${name}`, (api) =>
    api.listContainers({ all: true, filters: { name: [`${name}${RETIRED}`] } }),
  );
  const retired = found
    .flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
    // Docker's name filter matches substrings: keep exactly this colour's retired containers.
    .filter((n) => n.startsWith(`${name}${RETIRED}`) && /^[a-z0-9]+$/.test(n.slice(name.length + RETIRED.length)));
  // 409: another linkswitch (a concurrent deploy's clean-up, `down`) is removing it already.
  await Promise.all(
    retired.map((n) =>
      client.tolerate(`remove ${n}`, [404, 409], (api) => api.getContainer(n).remove({ force: true, v: true })),
    ),
  );
}
