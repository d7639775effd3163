import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { OneOffOutcome, OneOffRequest } from '../core/ports.js';
import type { ServiceSettings } from '../core/settings.js';
import { containerCreateOptions } from './container-options.js';
import { LABEL_SERVICE } from './docker.js';
import type { DockerClient } from './docker-client.js';
import { connectNetworks } from './networks.js';

// A one-off container with a service's spec (its env, volumes, networks, user, secrets) and a
// command of its own: migrations before a switch (a `container:` hook) and `linkswitch run`.
// It never publishes a port, never restarts, and is removed when it ends or times out; its
// output is streamed line by line and its exit code returned.

export const LABEL_ROLE = 'linkswitch.role';
/** Output kept per run (the last part): enough for a report, bounded for a chatty migration. */
const KEEP_BYTES = 64 * 1024;

export interface OneOffOptions extends OneOffRequest {
  image: string;
  argv: string[];
  /** The network HAProxy reaches the colours on, when it is a named one (joined first). */
  primaryNetwork: string | null;
}

export async function runOneOff(
  client: DockerClient,
  service: ServiceSettings,
  options: OneOffOptions,
): Promise<OneOffOutcome> {
  const name = `${service.name}-run-${randomBytes(4).toString('hex')}`;
  const { config, host } = containerCreateOptions({
    ...service,
    env: { ...service.env, ...options.env },
    command: options.argv,
  });
  host.RestartPolicy = { Name: '' };
  if (options.primaryNetwork) host.NetworkMode = options.primaryNetwork;
  const created = await client.call(`create ${name} from ${options.image}`, (api) =>
    api.createContainer({
      ...config,
      name,
      Image: options.image,
      Labels: { ...service.labels, [LABEL_SERVICE]: service.name, [LABEL_ROLE]: 'one-off' },
      HostConfig: host,
    }),
  );
  const remove = () =>
    client.tolerate(`remove ${name}`, [404], (api) => api.getContainer(created.id).remove({ force: true, v: true }));
  try {
    await connectNetworks(
      client,
      created.id,
      name,
      service.container.networks.filter((n) => n.name !== options.primaryNetwork),
    );
    const container = client.api.getContainer(created.id);
    let output = '';
    let partial = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
      output = (output + chunk.toString('utf8')).slice(-KEEP_BYTES);
    });
    const stream = await client.call(`attach to ${name}`, () =>
      container.attach({ stream: true, stdout: true, stderr: true }),
    );
    client.api.modem.demuxStream(stream, sink, sink);
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    await client.call(`start ${name}`, () => container.start());
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => undefined);
    }, options.timeoutMs);
    try {
      const result = (await client.call(`wait for ${name}`, () => container.wait())) as { StatusCode?: number };
      // The attach stream ends right after the container: take its last lines too.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      if (partial) options.onLine(partial);
      return { exitCode: timedOut ? null : (result.StatusCode ?? null), timedOut, output };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await remove();
  }
}
