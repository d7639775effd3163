import type { ColourEvent, ColourEventSource } from '../core/ports.js';
import { LABEL_COLOUR, LABEL_SERVICE } from './docker.js';
import type { DockerClient } from './docker-client.js';

// Docker's event stream for the stack's colour containers (container engine): what the
// sidecar's failover and re-render follow. One stream for every service of the stack.

export class DockerEventSource implements ColourEventSource {
  constructor(
    private readonly client: DockerClient,
    private readonly services: string[],
  ) {}

  /**
   * Follows Docker's event stream for this service's colour containers. Resolves once the
   * stream is open; `onEnd` is called when the engine closes it (restart, error) so the caller
   * can reconnect. Returns a function that stops following.
   */
  async watch(onEvent: (event: ColourEvent) => void, onEnd: (error?: unknown) => void): Promise<() => void> {
    const filters = {
      type: ['container' as const],
      // One service: filtered by Docker. Several: by the label's presence, then by name here
      // (repeated label filters are not an "or" in every engine version).
      label: this.services.length === 1 ? [`${LABEL_SERVICE}=${this.services[0]}`] : [LABEL_SERVICE],
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
        if (event && this.services.includes(event.service)) onEvent(event);
      }
    });
    stream.on('error', (error: unknown) => end(error));
    stream.on('end', () => end());
    return () => {
      stopped = true;
      stream.destroy();
    };
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
  return {
    service: attributes[LABEL_SERVICE] ?? '',
    colour,
    container: attributes.name ?? '',
    action,
    exitCode: Number.isFinite(exitCode) ? exitCode : null,
  };
}
