import type { Colour } from './colour.js';
import { UnhealthyError } from './errors.js';
import { membersMismatch } from './members.js';
import type { Clock, DockerPort, HaproxyPort, HttpProbe, ObservedContainer, Progress } from './ports.js';
import type { Settings } from './settings.js';

// Two gates before a colour gets traffic: the app answers its own health check (Docker's
// HEALTHCHECK when the image has one, else an HTTP probe), then HAProxy's own check sees it UP.

export interface HealthDeps {
  config: Settings;
  docker: DockerPort;
  probe: HttpProbe;
  clock: Clock;
  /** Told what the gate waits for at each poll (the terminal's live view shows it). */
  progress?: Pick<Progress, 'detail'>;
}

const LOG_LINES = 20;

async function failWithLogs(deps: HealthDeps, colour: Colour, reason: string): Promise<never> {
  const logs = await deps.docker.logs(colour, LOG_LINES).catch(() => '');
  throw new UnhealthyError(`${colour} did not become healthy: ${reason}`, {
    detail: logs.trim() ? `last ${LOG_LINES} log lines of ${colour}:\n${logs.trimEnd()}` : undefined,
    fix:
      `the live colour and traffic are unchanged; the ${colour} container is left stopped for inspection ` +
      `(docker logs)`,
  });
}

/** Polls until the colour is healthy; throws UnhealthyError (with its last log lines) on timeout or exit. */
export async function waitUntilHealthy(deps: HealthDeps, colour: Colour): Promise<ObservedContainer> {
  const { config, docker, probe, clock } = deps;
  const { interval, timeout, probeTimeout, path, use } = config.health;
  const started = clock.now().getTime();
  let last = 'not checked yet';
  for (;;) {
    const container = await docker.inspect(colour);
    if (!container) return failWithLogs(deps, colour, 'its container disappeared');
    if (!container.running || container.restarts > 0) {
      // Between two crashes of a restart loop Docker shows it running with exit code 0.
      const exited =
        container.exitCode === null
          ? 'its container keeps exiting'
          : `its container exited with code ${container.exitCode}`;
      return failWithLogs(
        deps,
        colour,
        `${exited}${container.restarts > 0 ? ` (restarted ${container.restarts} times)` : ''}`,
      );
    }
    const useDocker = use === 'docker' || (use === 'auto' && container.health !== 'none');
    if (useDocker) {
      if (container.health === 'healthy') return container;
      if (container.health === 'unhealthy')
        return failWithLogs(deps, colour, 'Docker reports its HEALTHCHECK as unhealthy');
      last = `Docker health is "${container.health}"`;
    } else if (container.probeAddress && config.service.mode === 'tcp') {
      const { host, port } = container.probeAddress;
      const result = await probe.connect(host, port, probeTimeout);
      if (result.ok) return container;
      last = `TCP connect to ${host}:${port}: ${result.detail}`;
    } else if (container.probeAddress) {
      const { host, port } = container.probeAddress;
      const result = await probe.probe(host, port, path, probeTimeout, {
        status: config.health.expectStatus,
        hostHeader: config.health.host,
      });
      if (result.ok) return container;
      last = `GET ${path} on ${host}:${port}: ${result.detail}`;
    } else {
      last = 'no address to probe yet';
    }
    if (clock.now().getTime() - started >= timeout)
      return failWithLogs(deps, colour, `still failing after ${timeout} ms (${last})`);
    deps.progress?.detail?.(last);
    await clock.sleep(interval);
  }
}

/**
 * Polls HAProxy until its own health check has passed for the colour. With `members` (Swarm),
 * HAProxy must also resolve exactly those task IPs: its DNS answers lag Swarm's, and a task of
 * the previous image still resolved would get traffic after the switch.
 */
export async function waitUntilHaproxySeesUp(
  haproxy: HaproxyPort,
  clock: Clock,
  colour: Colour,
  timeoutMs: number,
  members?: string[],
  progress?: Pick<Progress, 'detail'>,
): Promise<void> {
  const started = clock.now().getTime();
  let last = 'no server yet';
  for (;;) {
    const server = (await haproxy.servers()).find((s) => s.colour === colour);
    const mismatch = server ? membersMismatch(server, members) : null;
    // A fresh worker starts servers UP before checking them, at the lowest healthy level ("UP 1/2"
    // with fall 2): require a completed check and full health, so one slow check under the load
    // the switch brings cannot take the colour DOWN at once.
    if (server && !mismatch && server.status === 'UP' && /^L\dOK/.test(server.checkStatus)) return;
    if (server) last = `${server.status} (${server.checkStatus || 'no check yet'})${mismatch ? `; ${mismatch}` : ''}`;
    progress?.detail?.(`HAProxy sees ${colour} ${last}`);
    if (clock.now().getTime() - started >= timeoutMs) {
      throw new UnhealthyError(`HAProxy's health check never saw ${colour} UP within ${timeoutMs} ms (last: ${last})`, {
        fix: 'check that HAProxy can reach the container (network settings) and that the health path answers 200',
      });
    }
    await clock.sleep(25);
  }
}
