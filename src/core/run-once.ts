import { safeImage } from './safe-values.js';
import type { Service } from './service.js';
import { loadState } from './state-source.js';

// `linkswitch run`: a one-off container with the service's spec (env, volumes, networks, user,
// secrets), by default from the image the linked colour runs, so a console or a migration sees
// what production sees. No lock: it changes neither the colours nor HAProxy.

export interface RunOnceRequest {
  argv: string[];
  image?: string | undefined;
  timeoutMs: number;
  onLine(line: string): void;
}

export interface RunOnceResult {
  image: string;
  exitCode: number | null;
  timedOut: boolean;
}

export async function runOnce(svc: Service, request: RunOnceRequest): Promise<RunOnceResult> {
  const { state, fresh } = await loadState(svc);
  const linkedImage = fresh ? null : (state.colours[state.linked]?.image ?? null);
  const image = safeImage(request.image ?? linkedImage ?? svc.config.service.image);
  const outcome = await svc.docker.runOnce(image, request.argv, {
    env: { LINKSWITCH_SERVICE: svc.config.service.name },
    timeoutMs: request.timeoutMs,
    onLine: request.onLine,
  });
  return { image, exitCode: outcome.exitCode, timedOut: outcome.timedOut };
}
