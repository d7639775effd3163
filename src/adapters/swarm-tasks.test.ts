import { describe, expect, it } from 'vitest';
import { classifyTasks, type TaskInfo, withoutDigest } from './swarm-tasks.js';

// A Swarm colour's health from its tasks: the states a deploy walks through.

const task = (state: string, over: Partial<TaskInfo> = {}, image = 'app:2', force = 1): TaskInfo => ({
  ID: `t-${state}-${Math.random()}`,
  ServiceID: 'svc',
  DesiredState: 'running',
  Status: { State: state },
  Spec: { ContainerSpec: { Image: image }, ForceUpdate: force },
  ...over,
});
const spec = { image: 'app:2', forceUpdate: 1, replicas: 2 };

describe('classifyTasks', () => {
  it('is healthy once every replica of the current spec runs and nothing older does', () => {
    expect(classifyTasks([task('running'), task('running')], spec).health).toBe('healthy');
    expect(classifyTasks([task('running'), task('starting')], spec).health).toBe('starting');
    // A task of the previous image still running still answers through DNS.
    const old = task('running', { DesiredState: 'shutdown' }, 'app:1', 0);
    expect(classifyTasks([task('running'), task('running'), old], spec).health).toBe('starting');
  });

  it('is unhealthy once a task of this generation ended; earlier generations do not count', () => {
    const failed = classifyTasks([task('failed', { DesiredState: 'shutdown' }), task('running')], spec);
    expect(failed.health).toBe('unhealthy');
    expect(failed.failed).toHaveLength(1);
    const earlier = task('failed', { DesiredState: 'shutdown' }, 'app:2', 0);
    expect(classifyTasks([earlier, task('running'), task('starting')], spec)).toMatchObject({
      health: 'starting',
      failed: [],
    });
  });

  it('a colour scaled to 0 is neither healthy nor failed', () => {
    const stopped = task('complete', { DesiredState: 'shutdown' });
    expect(classifyTasks([stopped], { ...spec, replicas: 0 })).toMatchObject({
      health: 'starting',
      failed: [],
      desired: [],
    });
  });

  it('compares images without the digest Swarm may pin', () => {
    expect(withoutDigest(`app:2@sha256:${'a'.repeat(64)}`)).toBe('app:2');
    expect(classifyTasks([task('running', {}, `app:2@sha256:${'b'.repeat(64)}`), task('running')], spec).health).toBe(
      'healthy',
    );
  });
});
