import { parseConfig } from '../../src/config/load.js';
import type { Colour } from '../../src/core/colour.js';
import { HaproxyConfigError, StateUnreadableError } from '../../src/core/errors.js';
import type { HaproxyContext } from '../../src/core/haproxy-context.js';
import { SINGLE_SERVER_LAYOUT } from '../../src/core/layout.js';
import type {
  ConfigFilePort,
  ContainerHealth,
  DockerPort,
  HaproxyPort,
  HttpProbe,
  ObservedContainer,
  OneOffOutcome,
  OneOffRequest,
  Progress,
  ServerView,
  StateStore,
} from '../../src/core/ports.js';
import { commandText, type RuntimeServer, type ServerCommand } from '../../src/core/runtime-servers.js';
import type { Locker, Service } from '../../src/core/service.js';
import type { State } from '../../src/core/state.js';
import { fakeClock, observedContainer } from './fakes.js';

// Plain fakes of every port the core's verbs use, for service-*.test.ts beside src/core/service.ts.

export const config = parseConfig(
  'service:\n  name: web\n  image: app:1\n  port: 8080\nhealth:\n  interval: 100ms\n  timeout: 3s\ndeploy:\n  drainTimeout: 1s\n',
  '/srv/app/linkswitch.yml',
);
export const PORTS: Record<Colour, number> = { blue: 32001, green: 32002 };
export const T0 = Date.parse('2025-06-01T12:00:00.000Z');

export function container(colour: Colour, image: string, health: ContainerHealth, running = true): ObservedContainer {
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

export class FakeDocker implements DockerPort {
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
  /** Containers renamed out of the way by retire() and not removed yet. */
  retired: ObservedContainer[] = [];
  async retire(c: Colour) {
    this.calls.push(`retire ${c}`);
    const found = this.containers[c];
    if (found) this.retired.push(found);
    this.containers[c] = null;
  }
  async removeRetired(c: Colour) {
    this.calls.push(`removeRetired ${c}`);
    this.retired = this.retired.filter((r) => r.colour !== c);
  }
  async logs() {
    return 'listening on 8080\nGET /health 503\n';
  }
  /** Exit codes the next one-off containers end with (0 once they run out). */
  oneOffExits: number[] = [];
  async runOnce(image: string, argv: string[], options: OneOffRequest): Promise<OneOffOutcome> {
    this.calls.push(`runOnce ${image} ${argv.join(' ')}`);
    options.onLine(`ran ${argv.join(' ')}`);
    return { exitCode: this.oneOffExits.shift() ?? 0, timedOut: false, output: `ran ${argv.join(' ')}\n` };
  }
}

export class FakeHaproxy implements HaproxyPort {
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
  /** Every text validate() was given. */
  validated: string[] = [];
  async validate(text: string) {
    this.calls.push('validate');
    this.validated.push(text);
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
  /** Core tests render JSON, which has no server lines: HAProxy runs none to reconcile. */
  async serversState(): Promise<RuntimeServer[]> {
    return [];
  }
  async runServerCommands(commands: ServerCommand[]) {
    for (const c of commands) this.calls.push(commandText(c));
  }
  async clearCounters() {
    this.calls.push('clearCounters');
  }
  async closeSessions(colour: Colour) {
    this.calls.push(`closeSessions ${colour}`);
  }
  async setMapEntry(file: string, key: string, value: string | null) {
    this.calls.push(`map ${file} ${key} ${value ?? '(removed)'}`);
  }
  async installCertificate(file: string, _pem: string, crtList: string) {
    this.calls.push(`certificate ${file} in ${crtList}`);
  }
  async setWeights(weights: Partial<Record<Colour, number>>) {
    this.weightCalls.push(weights);
    Object.assign(this.weights, weights);
  }
}

export function fakes(
  state: State | null,
  containers: Record<Colour, ObservedContainer | null>,
  { haproxyRunning = true, probeOk = true } = {},
) {
  const clock = fakeClock(T0);
  const store = {
    state: state === null ? null : structuredClone(state),
    writes: [] as State[],
    /** The file exists but cannot be parsed. */
    unreadable: false,
    quarantined: 0,
  };
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
      writeMaps: async () => undefined,
      readMap: async () => null,
    } satisfies ConfigFilePort,
    store: {
      read: async () => {
        if (store.unreadable) throw new StateUnreadableError('state file is not valid JSON');
        return store.state === null ? null : structuredClone(store.state);
      },
      write: async (next) => {
        store.writes.push(structuredClone(next));
        store.state = structuredClone(next);
        store.unreadable = false;
      },
      quarantine: async () => {
        store.quarantined += 1;
        return '/srv/app/state.json.unreadable-x';
      },
    } satisfies StateStore,
    clock,
    probe: {
      probe: async (host, port, path) => {
        probes.push(`${host}:${port}${path}`);
        return probeOk ? { ok: true, detail: '200' } : { ok: false, detail: 'HTTP 503' };
      },
      connect: async (host, port) => {
        probes.push(`tcp ${host}:${port}`);
        return probeOk ? { ok: true, detail: 'connected' } : { ok: false, detail: 'ECONNREFUSED' };
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

export const rec = (image: string, colour: Colour) => ({
  image,
  container: `web-${colour}`,
  deployedAt: '2025-05-01T00:00:00.000Z',
});
export const deployedState = (): State => ({
  version: 1,
  service: 'web',
  linked: 'blue',
  generation: 3,
  lastSwitchAt: '2025-05-01T00:00:00.000Z',
  colours: { blue: rec('app:1', 'blue'), green: rec('app:0', 'green') },
  pending: null,
});
