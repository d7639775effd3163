import type { ServerCounters } from './canary.js';
import type { Colour } from './colour.js';
import type { RuntimeServer, ServerCommand } from './runtime-servers.js';
import type { MapFile } from './stack-context.js';
import type { State } from './state.js';

// The small interfaces the core needs from the outside world. Adapters implement them against
// dockerode, HAProxy's sockets and binary, and the filesystem; core tests pass plain fakes.

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** What Docker says about one colour's container. */
export interface ObservedContainer {
  colour: Colour;
  name: string;
  id: string;
  image: string;
  running: boolean;
  exitCode: number | null;
  /** How often Docker's restart policy restarted it: a crash loop looks "running" in between. */
  restarts: number;
  /** Docker HEALTHCHECK status; 'none' when the image has no healthcheck. */
  health: ContainerHealth;
  /** Where HAProxy (and the health probe) reach the app; null while not running. */
  address: { host: string; port: number } | null;
  /** Where the controller itself can probe the app (differs from `address` in network mode). */
  probeAddress: { host: string; port: number } | null;
  /** Swarm engine: the colour's service tasks, one per replica, with the node each runs on. */
  tasks?: TaskView[];
  /** What linkswitch's labels on it say (absent on containers from before they existed). */
  owner?: { service: string | null; generation: number | null };
}

/** Labels linkswitch puts on every colour it creates, so the state can be rebuilt from them. */
export interface ColourLabels {
  /** The generation the colour has once it is linked (the state's generation after the switch). */
  generation: number;
}

/** One Swarm task of a colour's service (Swarm engine only). */
export interface TaskView {
  id: string;
  node: string;
  /** Swarm's task state: running, starting (HEALTHCHECK not passed yet), pending, failed, … */
  state: string;
  image: string;
  error: string | null;
  /** The task's IP on the overlay network (what HAProxy resolves), once it has one. */
  address?: string | null;
}

export interface DockerPort {
  /**
   * True when `run` replaces an existing colour in place (a Swarm service update), so a deploy
   * need not remove it first. Absent/false: the colour is removed and created afresh.
   */
  readonly updatesInPlace?: boolean;
  inspect(colour: Colour): Promise<ObservedContainer | null>;
  /** Creates and starts the colour's container from the configured spec with `image`. */
  run(colour: Colour, image: string, labels?: ColourLabels): Promise<ObservedContainer>;
  start(colour: Colour): Promise<ObservedContainer>;
  stop(colour: Colour): Promise<void>;
  /** Removes the colour's container and whatever earlier retires of it left behind. */
  remove(colour: Colour): Promise<void>;
  /**
   * Frees the colour's name at once (the container is renamed and keeps running, unrouted once
   * the new colour is staged); `removeRetired` removes it later. Absent: a deploy removes the
   * colour with `remove` before creating it.
   */
  retire?(colour: Colour): Promise<void>;
  /** Removes the colour's retired containers (404 and a removal already in progress are fine). */
  removeRetired?(colour: Colour): Promise<void>;
  logs(colour: Colour, lines: number): Promise<string>;
  /**
   * A one-off container from `image` with the service's spec and `argv` as its command (hooks,
   * `linkswitch run`): output streamed by line, removed afterwards, killed at the timeout.
   */
  runOnce(image: string, argv: string[], options: OneOffRequest): Promise<OneOffOutcome>;
}

export interface OneOffRequest {
  env: Record<string, string>;
  timeoutMs: number;
  onLine(line: string): void;
}

export interface OneOffOutcome {
  /** null when it was killed at the timeout. */
  exitCode: number | null;
  timedOut: boolean;
  /** Its output (stdout and stderr), the last 64 KiB. */
  output: string;
}

/** HAProxy's view of one server (from `show stat` on the admin socket). */
export interface ServerView {
  colour: Colour;
  /** UP, DOWN, MAINT, DRAIN, "no check", … as HAProxy prints it. */
  status: string;
  weight: number;
  address: string;
  /** Sessions currently open to the server. */
  sessions: number;
  checkStatus: string;
  /** Cumulative request counters (canary judgement); absent from views that did not read them. */
  counters?: ServerCounters;
  /**
   * Swarm engine (`server-template`): how many servers of the colour have an address. The other
   * fields then aggregate them: status UP only when every addressed server is UP.
   */
  members?: number;
}

export interface HaproxyPort {
  /** True when the master socket answers. */
  running(): Promise<boolean>;
  /** Runs `haproxy -c` on the text; throws HaproxyConfigError with HAProxy's output. */
  validate(configText: string): Promise<void>;
  /** Starts HAProxy in master-worker mode with the live config file. */
  start(): Promise<void>;
  /** Reloads through the master socket and verifies a new worker took over. */
  reload(): Promise<void>;
  /** After a failed reload, reloads `configText` (already on disk) until HAProxy listens again. */
  recoverReload(configText: string): Promise<void>;
  stop(): Promise<void>;
  servers(): Promise<ServerView[]>;
  /** Sets both weights in one runtime-API call: the new colour first, so never zero servers. */
  setWeights(weights: Partial<Record<Colour, number>>): Promise<void>;
  /** Every server of every backend as the running worker has it (`show servers state`). */
  serversState(): Promise<RuntimeServer[]>;
  /** Sends server commands in order on one connection; HaproxyRuntimeError when one is refused. */
  runServerCommands(commands: ServerCommand[]): Promise<void>;
  /**
   * Zeroes every counter of every proxy and server (`clear counters all`), as a reload would:
   * HAProxy has no per-server reset, and a server's average response time spans its addresses.
   */
  clearCounters(): Promise<void>;
  /** Closes the sessions still open on the colour's servers (`shutdown sessions server`). */
  closeSessions(colour: Colour): Promise<void>;
  /** Sets (or with null removes) one entry of a map file HAProxy has loaded, at runtime. */
  setMapEntry(file: string, key: string, value: string | null): Promise<void>;
  /** A certificate (chain and key) for `file`, live without a reload; added to `crtList` if new. */
  installCertificate(file: string, pem: string, crtList: string): Promise<void>;
}

/** The live haproxy.cfg file. */
export interface ConfigFilePort {
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
  /** Writes map files a config references (content-addressed: an existing one is left as it is). */
  writeMaps(maps: MapFile[]): Promise<void>;
  /** A map file's text, or null when it does not exist (maintenance.map, which HAProxy changes at runtime). */
  readMap(file: string): Promise<string | null>;
}

/** A certificate file HAProxy loads, as checked before the config naming it is applied. */
export interface CertificateInfo {
  file: string;
  /** Of the file's content: a renewed file gives a new value, so a new config and a reload. */
  sha256: string;
  validTo: string;
}

/**
 * How a host proves to the ACME CA that it is ours. HTTP-01 (HAProxy answers from its challenge
 * map, app/certs.ts) is the one there is; DNS-01, for wildcards, would be another solver (a TXT
 * record through a DNS provider's API) chosen per host, with the CA client unchanged.
 */
export interface ChallengeSolver {
  readonly type: 'http-01' | 'dns-01';
  /** `keyAuthorization`: the token's answer (dns-01: already its SHA-256 digest, as the TXT value). */
  present(challenge: { host: string; token: string; keyAuthorization: string }): Promise<void>;
  remove(challenge: { host: string; token: string }): Promise<void>;
}

export interface Locker {
  acquire(command: string): Promise<{ release(): Promise<void> }>;
}

export interface StateStore {
  /** Null when there is no state file; StateUnreadableError when it cannot be parsed. */
  read(): Promise<State | null>;
  write(state: State): Promise<void>;
  /** Moves an unreadable state file aside (kept for a person to look at); returns where. */
  quarantine(): Promise<string | null>;
}

export interface Clock {
  now(): Date;
  /** Milliseconds from an arbitrary origin that never steps back (NTP, a changed date): for durations. */
  monotonic(): number;
  sleep(ms: number): Promise<void>;
}

/** Checks the app itself over HTTP (used when the image has no Docker HEALTHCHECK). */
export interface HttpProbe {
  /** Healthy: the answer has `expect.status`; `expect.hostHeader` is sent as Host when given. */
  probe(
    host: string,
    port: number,
    path: string,
    timeoutMs: number,
    expect?: { status: number; hostHeader: string | null },
  ): Promise<{ ok: boolean; detail: string }>;
  /** TCP services: healthy when a connection is accepted. */
  connect(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; detail: string }>;
}

/** Deploy progress for people and logs: one event per phase. */
export interface Progress {
  phase(name: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  /** What a waiting step waits for right now (Docker health, the probe, HAProxy's check). */
  detail?(text: string): void;
  /** One line of a hook's output, shown as it comes. */
  output?(line: string): void;
}

/** A Docker event about one of the service's colour containers (for `serve`). */
export interface ColourEvent {
  /** The service the container belongs to (several services behind one HAProxy). */
  service: string;
  colour: Colour;
  container: string;
  /** die: the process exited (crash, kill, stop); unhealthy/healthy: its HEALTHCHECK changed. */
  action: 'die' | 'unhealthy' | 'healthy' | 'start';
  exitCode: number | null;
}

/** Where the sidecar hears about the colours' containers dying, turning unhealthy or starting. */
export interface ColourEventSource {
  /**
   * Resolves once the stream is open; `onEnd` is called when the engine closes it (restart,
   * error) so the caller can reconnect. Returns a function that stops following.
   */
  watch(onEvent: (event: ColourEvent) => void, onEnd: (error?: unknown) => void): Promise<() => void>;
}
