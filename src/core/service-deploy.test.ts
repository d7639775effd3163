import { describe, expect, it } from 'vitest';
import { container, deployedState, fakes, rec, T0 } from '../../test/support/core-fakes.js';
import { HaproxyConfigError, NotBroughtUpError, UnhealthyError, UnsafeValueError } from './errors.js';
import { deploy, deployRetiring } from './service.js';

describe('deploy', () => {
  it('an app that never gets healthy: UnhealthyError, no switch, new colour stopped, pending cleared', async () => {
    const f = fakes(
      deployedState(),
      { blue: container('blue', 'app:1', 'healthy'), green: container('green', 'app:0', 'healthy') },
      { probeOk: false },
    );
    const error = await deploy(f.svc, { image: 'app:2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnhealthyError);
    expect((error as UnhealthyError).message).toMatch(/green did not become healthy/);
    expect((error as UnhealthyError).detail).toContain('GET /health 503');
    expect(f.probes.length).toBeGreaterThan(1);
    expect(f.probes[0]).toBe('127.0.0.1:32002/health');
    expect(f.now() - T0).toBeGreaterThanOrEqual(3000);

    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.haproxy.calls).not.toContain('reload');
    expect(f.configFile.writes).toEqual([]);
    expect(f.docker.calls).toEqual(['remove green', 'run green app:2', 'stop green']);
    expect(f.docker.containers.green?.running).toBe(false);
    expect(f.docker.containers.blue?.running).toBe(true);

    expect(f.store.writes[0]?.pending).toMatchObject({ colour: 'green', image: 'app:2', phase: 'deploying' });
    expect(f.store.state).toEqual(deployedState());
    expect(f.lockLog).toEqual(['acquire deploy', 'release']);
  });

  it('switches to the new colour after both health gates and records generation + 1', async () => {
    const f = fakes(deployedState(), { blue: container('blue', 'app:1', 'healthy'), green: null });
    const result = await deploy(f.svc, { image: 'app:2' });
    expect(f.haproxy.weightCalls).toEqual([{ green: 100, blue: 0 }]);
    expect(result.state).toMatchObject({
      linked: 'green',
      generation: 4,
      lastSwitchAt: new Date(f.now()).toISOString(),
      pending: null,
    });
    expect(result.state.colours.green).toMatchObject({ image: 'app:2', container: 'web-green' });
    expect(result.state.colours.blue).toEqual(rec('app:1', 'blue'));
    expect(f.store.state).toEqual(result.state);
    expect(JSON.parse(f.configFile.text!)).toMatchObject({ linked: 'green' });
    expect(f.docker.calls).toEqual(['run green app:2']);
    // Each distinct text is checked once: the current config first, then the staged and the
    // switched one (= the persisted one) while the new colour starts, before either reload.
    expect(f.haproxy.calls).toEqual(['validate', 'validate', 'validate', 'reload', 'reload']);
    expect(f.configFile.writes).toHaveLength(2);
    expect(f.docker.containers.blue?.running).toBe(true);
    expect(result.report?.stepsRun.at(-1)).toBe('drain');
    expect(f.lockLog).toEqual(['acquire deploy', 'release']);
  });

  it("the sidecar's deploy renames the old idle container out of the way and leaves its removal to the caller", async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const { result, removeRetired } = await deployRetiring(f.svc, { image: 'app:2' });
    // Switched, recorded and unlocked; the old container is still there, renamed.
    expect(result.state.linked).toBe('green');
    expect(f.store.state?.linked).toBe('green');
    expect(f.lockLog).toEqual(['acquire deploy', 'release']);
    expect(result.plan.at(-1)).toEqual({ kind: 'remove-retired', colour: 'green' });
    expect(result.report?.stepsRun).not.toContain('remove-retired');
    expect(f.docker.calls).toEqual(['retire green', 'run green app:2']);
    expect(f.docker.retired.map((c) => c.image)).toEqual(['app:0']);
    await removeRetired?.();
    expect(f.docker.retired).toEqual([]);
    expect(f.docker.calls).toEqual(['retire green', 'run green app:2', 'removeRetired green']);
  });

  it('a failed deploy removes what it retired at once; a failed removal later is a warning', async () => {
    const failing = fakes(
      deployedState(),
      { blue: container('blue', 'app:1', 'healthy'), green: container('green', 'app:0', 'healthy') },
      { probeOk: false },
    );
    await expect(deployRetiring(failing.svc, { image: 'app:2' })).rejects.toBeInstanceOf(UnhealthyError);
    expect(failing.docker.calls).toEqual(['retire green', 'run green app:2', 'stop green', 'removeRetired green']);

    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    f.docker.removeRetired = async () => {
      throw new Error('engine went away');
    };
    const { result, removeRetired } = await deployRetiring(f.svc, { image: 'app:2' });
    await removeRetired?.();
    expect(result.state.linked).toBe('green');
    expect(f.events).toContainEqual(expect.stringMatching(/^warn: Removing the old container failed/));
  });

  it('refuses with NotBroughtUpError when HAProxy is not running, touching nothing', async () => {
    const f = fakes(
      deployedState(),
      { blue: container('blue', 'app:1', 'healthy'), green: null },
      { haproxyRunning: false },
    );
    await expect(deploy(f.svc, { image: 'app:2' })).rejects.toBeInstanceOf(NotBroughtUpError);
    await expect(deploy(f.svc, { image: 'app:2' })).rejects.toThrow(/HAProxy is not running/);
    expect(f.docker.calls).toEqual([]);
    expect(f.store.writes).toEqual([]);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.lockLog).toEqual(['acquire deploy', 'release', 'acquire deploy', 'release']);
  });

  it('fails fast on a config HAProxy rejects, before touching containers or the state file', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    f.haproxy.rejectConfig = true;
    await expect(deploy(f.svc, { image: 'app:2' })).rejects.toBeInstanceOf(HaproxyConfigError);
    expect(f.docker.calls).toEqual([]);
    expect(f.store.writes).toEqual([]);
    expect(f.configFile.writes).toEqual([]);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.lockLog).toEqual(['acquire deploy', 'release']);
  });

  it('refuses with NotBroughtUpError when the stack was never brought up', async () => {
    const f = fakes(null, { blue: null, green: null });
    await expect(deploy(f.svc, { image: 'app:2' })).rejects.toThrow(NotBroughtUpError);
    expect(f.store.writes).toEqual([]);
  });

  it('refuses an unsafe image before taking the lock', async () => {
    const f = fakes(deployedState(), { blue: container('blue', 'app:1', 'healthy'), green: null });
    await expect(deploy(f.svc, { image: 'app:2\nrm' })).rejects.toBeInstanceOf(UnsafeValueError);
    expect(f.lockLog).toEqual([]);
  });
});

describe('deploy with several services (the config lock)', () => {
  it('holds the config lock for each apply-config, and from the switch until the config that persists it', async () => {
    const f = fakes(deployedState(), { blue: container('blue', 'app:1', 'healthy'), green: null });
    const log: string[] = [];
    f.svc.configLock = {
      acquire: async (command) => {
        log.push(`lock for ${command}`);
        return { release: async () => void log.push('unlock') };
      },
    };
    const phase = f.svc.progress.phase;
    f.svc.progress = {
      ...f.svc.progress,
      phase: (name, fields) => {
        log.push(name);
        phase(name, fields);
      },
    };
    f.svc.otherBackends = async () => [];
    await deploy(f.svc, { image: 'app:2' });
    const span = log.slice(log.indexOf('wait-healthy'));
    expect(span).toEqual([
      'wait-healthy',
      'lock for apply-config',
      'apply-config',
      'unlock',
      'wait-haproxy-up',
      'check-config',
      'lock for switch',
      'switch',
      'switched',
      'record-state',
      'apply-config',
      'unlock',
      'drain',
    ]);
  });
});
