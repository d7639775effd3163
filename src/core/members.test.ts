import { describe, expect, it } from 'vitest';
import { observedContainer } from '../../test/support/fakes.js';
import { expectedMembers, membersMismatch } from './members.js';
import type { ObservedContainer, ServerView, TaskView } from './ports.js';

const task = (address: string | null, state = 'running'): TaskView => ({
  id: `t-${address}`,
  node: 'node-1',
  state,
  image: 'app:2',
  error: null,
  address,
});

function observed(tasks?: TaskView[]): ObservedContainer {
  return observedContainer('green', {
    id: 'svc',
    image: 'app:2',
    address: { host: 'tasks.web-green', port: 8080 },
    probeAddress: null,
    ...(tasks ? { tasks } : {}),
  });
}

const server = (address: string): ServerView => ({
  colour: 'green',
  status: 'UP',
  weight: 0,
  address,
  sessions: 0,
  checkStatus: 'L7OK',
  members: address.split(' ').length,
});

describe('expectedMembers', () => {
  it('is the sorted IPs of the running tasks', () => {
    expect(expectedMembers(observed([task('10.0.1.9'), task('10.0.1.10'), task('10.0.1.3', 'failed')]))).toEqual([
      '10.0.1.10',
      '10.0.1.9',
    ]);
  });

  it('is undefined for a single container, no running task, or a task without an address', () => {
    expect(expectedMembers(observed())).toBeUndefined();
    expect(expectedMembers(null)).toBeUndefined();
    expect(expectedMembers(observed([task('10.0.1.3', 'shutdown')]))).toBeUndefined();
    expect(expectedMembers(observed([task('10.0.1.9'), task(null)]))).toBeUndefined();
  });
});

describe('membersMismatch', () => {
  it('accepts exactly the tasks, in any order', () => {
    expect(membersMismatch(server('10.0.1.10:8080 10.0.1.9:8080'), ['10.0.1.9', '10.0.1.10'].sort())).toBeNull();
  });

  it('has nothing to compare without expected members', () => {
    expect(membersMismatch(server('10.0.1.5:8080'), undefined)).toBeNull();
  });

  it('names a stale task that HAProxy still resolves, and a task it has not resolved yet', () => {
    expect(membersMismatch(server('10.0.1.5:8080 10.0.1.9:8080'), ['10.0.1.10', '10.0.1.9'])).toBe(
      'HAProxy resolves 10.0.1.5 10.0.1.9 while the tasks are 10.0.1.10 10.0.1.9',
    );
    expect(membersMismatch(server('10.0.1.9:8080'), ['10.0.1.10', '10.0.1.9'])).toMatch(/resolves 10\.0\.1\.9 while/);
    expect(membersMismatch(server(''), ['10.0.1.9'])).toMatch(/resolves no task while/);
  });
});
