import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { DockerError, errnoCode, messageOf } from '../core/errors.js';
import { dockerSocket, getJson } from './docker-http.js';

// Docker plumbing shared by both engines (single containers and Swarm services): one place that
// turns dockerode's failures into DockerError, reads its HTTP status codes and decodes logs.

/** The HTTP status of a failed Engine API call (404 not found, 304 not modified, 503 not a manager). */
export function statusCode(error: unknown): number | undefined {
  const value = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof value === 'number' ? value : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

/** Docker's error bodies are JSON with a "message"; show that, not the HTTP wrapper. */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : messageOf(error);
  return message.split('\n')[0] ?? '';
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

/** A log read: dockerode returns a Buffer for non-follow reads, typed as a stream. */
export function logText(value: unknown): string {
  return demuxLogs(Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
}

/** `256m` → bytes (the schema has already checked the form). */
export function parseMemory(value: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(value)!;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

/** Docker could not bind a published port: something else took it. */
export class PortTakenError extends DockerError {}

/**
 * Docker's only signal for a taken host port is its message (HTTP 500, "port is already
 * allocated" or the kernel's "address already in use"): read in this one place, turned into a type.
 */
function isPortTaken(error: unknown): boolean {
  return statusCode(error) === 500 && /port is already allocated|address already in use/i.test(dockerMessage(error));
}

export interface DockerCallOptions {
  /** What to do when the engine cannot be reached at all (socket missing, refused, forbidden). */
  unreachableFix: string;
  /** Extra translations of an HTTP status into a clearer error (e.g. 503 on Swarm: not a manager). */
  byStatus?: Partial<Record<number, (what: string, error: unknown) => DockerError>>;
}

/**
 * A dockerode client whose every call goes through `call`, so an unreachable engine is one clear
 * error and every other failure says what was being done.
 */
const require = createRequire(import.meta.url);

export class DockerClient {
  private client: Docker | undefined;

  constructor(
    private readonly options: DockerCallOptions,
    api?: Docker,
  ) {
    this.client = api;
  }

  /** dockerode, loaded on first use: a rollback or a status inspects through docker-http.ts only. */
  get api(): Docker {
    if (!this.client) {
      const Dockerode = require('dockerode') as typeof Docker;
      this.client = new Dockerode();
    }
    return this.client;
  }

  /** A container's inspect, or null when it does not exist (the hot path: no dockerode). */
  async inspectContainer(name: string): Promise<Docker.ContainerInspectInfo | null> {
    const socket = this.client ? null : dockerSocket();
    if (socket) {
      const answer = await getJson(socket, `/containers/${encodeURIComponent(name)}/json`).catch(() => null);
      if (answer?.status === 200) return JSON.parse(answer.body) as Docker.ContainerInspectInfo;
      if (answer?.status === 404) return null;
      // Unreachable or another status: dockerode says what went wrong, as for every other call.
    }
    return this.find(`inspect ${name}`, (api) => api.getContainer(name).inspect());
  }

  async call<T>(what: string, fn: (api: Docker) => Promise<T>): Promise<T> {
    try {
      return await fn(this.api);
    } catch (error) {
      if (error instanceof DockerError) throw error;
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
        throw new DockerError(`cannot reach the Docker engine (${code}) while trying to ${what}`, {
          fix: this.options.unreachableFix,
          cause: error,
        });
      }
      if (isPortTaken(error)) {
        throw new PortTakenError(`Docker failed to ${what}: ${dockerMessage(error)}`, {
          fix: 'another process holds that host port; retry, or stop the process that holds it',
          cause: error,
        });
      }
      const status = statusCode(error);
      const translate = status === undefined ? undefined : this.options.byStatus?.[status];
      if (translate) throw translate(what, error);
      throw new DockerError(`Docker failed to ${what}: ${dockerMessage(error)}`, { cause: error });
    }
  }

  /** Like `call`, but a 404 (no such container/service/image) is `null`. */
  async find<T>(what: string, fn: (api: Docker) => Promise<T>): Promise<T | null> {
    return this.call(what, async (api) => {
      try {
        return await fn(api);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  /** Like `call`, but the listed statuses (e.g. 304 already started, 404 gone) count as done. */
  async tolerate(what: string, statuses: number[], fn: (api: Docker) => Promise<unknown>): Promise<void> {
    await this.call(what, async (api) => {
      try {
        await fn(api);
      } catch (error) {
        const status = statusCode(error);
        if (status !== undefined && statuses.includes(status)) return;
        throw error;
      }
    });
  }
}
