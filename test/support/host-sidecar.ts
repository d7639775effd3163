import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { CLI, type Stack } from './stack.js';

// `linkswitch serve` on the host, beside a test stack's state file: the stack's CLI commands
// then delegate to it, as they do to the sidecar container.

/** The sidecar's phase ('serving' once its first reconcile is done), or null while it does not answer. */
export const sidecarPhase = (socketPath: string) =>
  new Promise<string | null>((resolve) => {
    const req = http.get({ socketPath, path: '/v1/healthz' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? JSON.parse(body).phase : null));
    });
    req.on('error', () => resolve(null));
  });

export async function waitUntil(ok: () => Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await ok()) return;
  throw new Error(`not within ${ms} ms`);
}

export interface HostSidecar {
  /** SIGTERM, then its exit (code and log). */
  stop(): Promise<{ exitCode: number | undefined; all: string | undefined }>;
}

/** Starts `linkswitch serve` for `stack` and waits until it serves. */
export async function startHostSidecar(stack: Stack): Promise<HostSidecar> {
  const serve: ResultPromise = execa('node', [CLI, 'serve'], {
    env: { LINKSWITCH_CONFIG: stack.configFile, LINKSWITCH_LOG_FORMAT: 'json' },
    reject: false,
    all: true,
  });
  const stop = async () => {
    serve.kill('SIGTERM');
    const exited = await serve;
    return { exitCode: exited.exitCode, all: typeof exited.all === 'string' ? exited.all : undefined };
  };
  try {
    const socketPath = path.join(path.dirname(stack.stateFile), 'control.sock');
    await waitUntil(async () => (await sidecarPhase(socketPath)) === 'serving', 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
