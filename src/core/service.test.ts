import { describe, expect, it } from 'vitest';
import { fakeClock, observedContainer } from '../../test/support/fakes.js';
import { parseConfig } from '../config/load.js';
import type { Colour } from './colour.js';
import { HaproxyConfigError, NotBroughtUpError, NotWarmError, UnhealthyError, UnsafeValueError } from './errors.js';
import type { HaproxyContext } from './haproxy-context.js';
import { SINGLE_SERVER_LAYOUT } from './layout.js';
import type {
  ConfigFilePort,
  ContainerHealth,
  DockerPort,
  HaproxyPort,
  HttpProbe,
  ObservedContainer,
  Progress,
  ServerView,
  StateStore,
} from './ports.js';
import { deploy, type Locker, rollback, type Service } from './service.js';
import type { State } from './state.js';

const config = parseConfig(
  'service:\n  name: web\n  image: app:1\n  port: 8080\nhealth:\n  interval: 100ms\n  timeout: 3s\ndeploy:\n  drainTimeout: 1s\n',
  '/srv/app/linkswitch.yml',
);
const PORTS: Record<Colour, number> = { blue: 32001, green: 32002 };
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

function container(colour: Colour, image: string, health: ContainerHealth, running = true): ObservedContainer {
  const address = running ? { host: '127.0.0.1', port: PORTS[colour] } : null;
  return observedContainer(colour, {
    id: `${colour}-${image}`,
    image,
    health,
    address,
    running,
    exitCode: running ? null : 0,
  });
}

class FakeDocker implements DockerPort {
  calls: string[] = [];
  /** Health that containers created by run() report. */
  newHealth: ContainerHealth = 'none';
  constructor(public containers: Record<Colour, ObservedContainer | null>) {}
  async inspect(c: Colour) {
    const found = this.containers[c];
    return found ? { ...found } : null;
  }
  async run(c: Colour, image: string) {
    this.calls.push(`run ${c} ${image}`);
    this.containers[c] = container(c, image, this.newHealth);
    return { ...this.containers[c]! };
  }
  async start(c: Colour) {
    this.calls.push(`start ${c}`);
    this.containers[c] = { ...this.containers[c]!, running: true };
    return { ...this.containers[c]! };
  }
  async stop(c: Colour) {
    this.calls.push(`stop ${c}`);
    const found = this.containers[c];
    if (found) this.containers[c] = { ...found, running: false, exitCode: 0, address: null, probeAddress: null };
  }
  async remove(c: Colour) {
    this.calls.push(`remove ${c}`);
    this.containers[c] = null;
  }
  async logs() {
    return 'listening on 8080\nGET /health 503\n';
  }
}

class FakeHaproxy implements HaproxyPort {
  calls: string[] = [];
  weightCalls: Array<Partial<Record<Colour, number>>> = [];
  weights: Record<Colour, number> = { blue: 100, green: 0 };
  rejectConfig = false;
  constructor(
    public isRunning: boolean,
    private readonly docker: FakeDocker,
  ) {}
  async running() {
    return this.isRunning;
  }
  async validate() {
    this.calls.push('validate');
    if (this.rejectConfig) throw new HaproxyConfigError('HAProxy rejected the rendered config (haproxy -c)');
  }
  async start() {
    this.calls.push('start');
    this.isRunning = true;
  }
  async reload() {
    this.calls.push('reload');
  }
  async recoverReload() {
    this.calls.push('recoverReload');
  }
  async stop() {
    this.calls.push('stop');
    this.isRunning = false;
  }
  async servers(): Promise<ServerView[]> {
    return (['blue', 'green'] as const)
      .filter((c) => this.docker.containers[c]?.running)
      .map((c) => ({
        colour: c,
        status: 'UP',
        weight: this.weights[c],
        address: `127.0.0.1:${PORTS[c]}`,
        sessions: 0,
        checkStatus: 'L7OK',
      }));
  }
  async setWeights(weights: Partial<Record<Colour, number>>) {
    this.weightCalls.push(weights);
    Object.assign(this.weights, weights);
  }
}

function fakes(
  state: State | null,
  containers: Record<Colour, ObservedContainer | null>,
  { haproxyRunning = true, probeOk = true } = {},
) {
  const clock = fakeClock(T0);
  const store = { state: state === null ? null : structuredClone(state), writes: [] as State[] };
  const docker = new FakeDocker(containers);
  const haproxy = new FakeHaproxy(haproxyRunning, docker);
  const configFile = { text: 'live config' as string | null, writes: [] as string[] };
  const events: string[] = [];
  const lockLog: string[] = [];
  const probes: string[] = [];
  const svc: Service = {
    config,
    layout: SINGLE_SERVER_LAYOUT,
    docker,
    haproxy,
    configFile: {
      read: async () => configFile.text,
      write: async (text) => {
        configFile.writes.push(text);
        configFile.text = text;
      },
    } satisfies ConfigFilePort,
    store: {
      read: async () => (store.state === null ? null : structuredClone(store.state)),
      write: async (next) => {
        store.writes.push(structuredClone(next));
        store.state = structuredClone(next);
      },
    } satisfies StateStore,
    clock,
    probe: {
      probe: async (host, port, path) => {
        probes.push(`${host}:${port}${path}`);
        return probeOk ? { ok: true, detail: '200' } : { ok: false, detail: 'HTTP 503' };
      },
    } satisfies HttpProbe,
    progress: {
      phase: (name) => void events.push(name),
      warn: (message) => void events.push(`warn: ${message}`),
    } satisfies Progress,
    locker: {
      acquire: async (command) => {
        lockLog.push(`acquire ${command}`);
        return { release: async () => void lockLog.push('release') };
      },
    } satisfies Locker,
    render: async (context: HaproxyContext) => JSON.stringify(context),
  };
  return { svc, store, docker, haproxy, configFile, events, lockLog, probes, now: () => clock.now().getTime() };
}

const rec = (image: string, colour: Colour) => ({
  image,
  container: `web-${colour}`,
  deployedAt: '2025-05-01T00:00:00.000Z',
});
const deployedState = (): State => ({
  version: 1,
  service: 'web',
  linked: 'blue',
  generation: 3,
  lastSwitchAt: '2025-05-01T00:00:00.000Z',
  colours: { blue: rec('app:1', 'blue'), green: rec('app:0', 'green') },
  pending: null,
});

describe('deploy', () => {
  it('with an app that never gets healthy: UnhealthyError, no switch, new colour stopped, state unchanged but pending cleared', async () => {
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

describe('rollback', () => {
  it('flips the weights once, records generation + 1 and persists the config, without creating containers', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const result = await rollback(f.svc);
    expect(f.haproxy.weightCalls).toEqual([{ green: 100, blue: 0 }]);
    const expected: State = {
      ...deployedState(),
      linked: 'green',
      generation: 4,
      lastSwitchAt: new Date(T0).toISOString(),
    };
    expect(result.state).toEqual(expected);
    expect(f.store.state).toEqual(expected);
    expect(f.store.writes).toHaveLength(1);
    expect(JSON.parse(f.configFile.text!)).toMatchObject({
      linked: 'green',
      servers: [
        { name: 'blue', weight: 0 },
        { name: 'green', weight: 100 },
      ],
    });
    // check-config and apply-config render the same text: haproxy -c runs once per run.
    expect(f.haproxy.calls).toEqual(['validate', 'reload']);
    expect(f.docker.calls).toEqual([]);
    expect(result.report?.stepsRun).toEqual(['check-config', 'switch', 'record-state', 'apply-config', 'drain']);
    expect(result.report?.switchMs).toBeGreaterThanOrEqual(0);
    expect(f.lockLog).toEqual(['acquire rollback', 'release']);
  });

  it('dry-run plans without switching or writing', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy'),
    });
    const result = await rollback(f.svc, { dryRun: true });
    expect(result.plan.map((s) => s.kind)).toContain('switch');
    expect(result.report).toBeNull();
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.store.writes).toEqual([]);
  });

  it('refuses with NotWarmError when the other colour is stopped, and releases the lock', async () => {
    const f = fakes(deployedState(), {
      blue: container('blue', 'app:1', 'healthy'),
      green: container('green', 'app:0', 'healthy', false),
    });
    await expect(rollback(f.svc)).rejects.toBeInstanceOf(NotWarmError);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.store.writes).toEqual([]);
    expect(f.lockLog).toEqual(['acquire rollback', 'release']);
  });
});
