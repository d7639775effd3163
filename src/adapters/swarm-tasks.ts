import type { ContainerHealth } from '../core/ports.js';

// How healthy a Swarm colour is, from its service's tasks (pure, so it is tested without Swarm).
// A colour is "healthy" when every replica of the current spec runs — Swarm keeps a task with a
// Docker HEALTHCHECK in "starting" until it passes — and "unhealthy" once a task of the current
// spec failed or was rejected (a failed HEALTHCHECK kills the task; a missing image rejects it).

/** Where a task ends. A stopped unhealthy task is "complete" (the app exits 0 on SIGTERM). */
const ENDED_STATES = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

export interface TaskInfo {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Err?: string; Message?: string };
  Spec: { ContainerSpec?: { Image?: string }; ForceUpdate?: number };
  /** The task's addresses per network, as CIDR (`10.0.1.5/24`). */
  NetworksAttachments?: Array<{ Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }>;
}

/** `repo:tag@sha256:…` → `repo:tag` (Swarm may pin a digest when a registry is reachable). */
export function withoutDigest(image: string): string {
  return image.replace(/@sha256:[0-9a-f]+$/, '');
}

export interface TaskClassification {
  health: ContainerHealth;
  /** Tasks Swarm wants running (any spec). */
  desired: TaskInfo[];
  /** Tasks of the current spec that ended while the service wants replicas. */
  failed: TaskInfo[];
}

export function classifyTasks(
  own: TaskInfo[],
  spec: { image: string; forceUpdate: number; replicas: number },
): TaskClassification {
  const { image, forceUpdate, replicas } = spec;
  const current = (t: TaskInfo) =>
    withoutDigest(t.Spec.ContainerSpec?.Image ?? '') === image && (t.Spec.ForceUpdate ?? 0) === forceUpdate;
  const desired = own.filter((t) => t.DesiredState === 'running');
  const runningCurrent = desired.filter((t) => t.Status.State === 'running' && current(t));
  // Every deploy and every start bumps ForceUpdate, so "current" tasks are this generation's
  // only; one of them that ended while the service still wants replicas failed (exited, killed
  // as unhealthy, rejected): Swarm replaces it, which the health gate counts as a restart.
  const failed = replicas > 0 ? own.filter((t) => ENDED_STATES.has(t.Status.State) && current(t)) : [];
  // A task of an earlier spec still running (Swarm is stopping it, or it drains on SIGTERM)
  // still answers through DNS: the colour is not ready until it is gone.
  const oldStillRunning = own.some((t) => t.Status.State === 'running' && !current(t));
  let health: ContainerHealth = 'starting';
  if (replicas > 0 && runningCurrent.length >= replicas && desired.every(current) && !oldStillRunning)
    health = 'healthy';
  else if (failed.length > 0) health = 'unhealthy';
  return { health, desired, failed };
}
