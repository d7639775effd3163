import type { ObservedContainer, ServerView } from './ports.js';

// Swarm engine: HAProxy finds a colour's tasks through Docker's DNS, whose answers it refreshes
// on its own clock. Before a colour takes traffic, HAProxy must resolve exactly the colour's
// running tasks: a task of the previous image still resolved would answer after the switch.

/**
 * The task IPs HAProxy must resolve for a colour: exactly its running tasks. Undefined for a
 * single container, or while a running task has no address yet (nothing to compare).
 */
export function expectedMembers(observed: ObservedContainer | null | undefined): string[] | undefined {
  const running = observed?.tasks?.filter((t) => t.state === 'running');
  if (!running?.length || running.some((t) => !t.address)) return undefined;
  return running.map((t) => t.address!).sort();
}

/** `10.0.1.5:8080 10.0.1.6:8080` → the hosts, sorted. */
function resolvedHosts(address: string): string[] {
  return address
    .split(' ')
    .filter(Boolean)
    .map((a) => a.replace(/:\d+$/, ''))
    .sort();
}

/** Null when HAProxy resolves exactly `members` for the server (or there is nothing to compare), else what differs. */
export function membersMismatch(server: ServerView, members: string[] | undefined): string | null {
  if (!members) return null;
  const resolved = resolvedHosts(server.address);
  if (resolved.length === members.length && resolved.every((host, i) => host === members[i])) return null;
  return `HAProxy resolves ${resolved.join(' ') || 'no task'} while the tasks are ${members.join(' ')}`;
}
