import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Colour } from '../core/colour.js';
import { HaproxyRuntimeError, messageOf, ReloadFailedError } from '../core/errors.js';
import { backendName } from '../core/haproxy-context.js';
import { type HaproxyLayout, SINGLE_SERVER_LAYOUT, serverNames } from '../core/layout.js';
import type { Clock, HaproxyPort, ServerView } from '../core/ports.js';
import { parseServersState, type RuntimeServer, type ServerCommand } from '../core/runtime-servers.js';
import { safeWeight } from '../core/safe-values.js';
import type { Settings } from '../core/settings.js';
import { bindsAccepting, checkNewBinds } from './bind-check.js';
import { checkConfig, isAlive, masterPid, startMaster } from './haproxy-binary.js';
import { installCertificate } from './haproxy-certificates.js';
import { type ProcInfo, parseShowProc, parseShowStat } from './haproxy-parse.js';
import { SocketUnavailableError, sendCommand } from './haproxy-socket.js';
import { sendServerCommands } from './server-commands.js';
import { ServerStateFile } from './server-state-file.js';
import { ValidatedConfigs } from './validated-configs.js';

// HAProxy through its master and admin sockets (with `haproxy-binary.ts` for the binary itself):
// reloads proven by `show proc`, weights and `show stat`. Socket commands are built from
// validated names only. The layout (one server or a server-template per colour) comes chosen.

const SOCKET_TIMEOUT_MS = 3000;
const POLL_MS = 25;

export class Haproxy implements HaproxyPort {
  private readonly backend: string;
  /** Configs `haproxy -c` accepted before, with every input they depend on (validated-configs.ts). */
  private readonly validated: ValidatedConfigs;
  private readonly serverState: ServerStateFile;

  constructor(
    private readonly config: Settings,
    private readonly clock: Clock,
    private readonly layout: HaproxyLayout = SINGLE_SERVER_LAYOUT,
  ) {
    this.backend = backendName(config.service.name);
    this.validated = new ValidatedConfigs(
      path.join(path.dirname(config.haproxy.configFile), '.validated.json'),
      config.haproxy.binary,
    );
    this.serverState = new ServerStateFile(layout, config.haproxy.configFile, () => this.admin('show servers state'));
  }

  private get paths() {
    return this.config.haproxy;
  }

  private async master(command: string): Promise<string> {
    // `quit` makes the master CLI close the connection instead of waiting for more commands.
    return sendCommand({ path: this.paths.masterSocket, command: `${command}; quit`, timeoutMs: SOCKET_TIMEOUT_MS });
  }

  private async admin(command: string, payload?: string): Promise<string> {
    try {
      return await sendCommand({
        path: this.paths.adminSocket,
        command,
        timeoutMs: SOCKET_TIMEOUT_MS,
        ...(payload === undefined ? {} : { payload }),
      });
    } catch (error) {
      throw this.socketError(error, this.paths.adminSocket, 'admin');
    }
  }

  private socketError(error: unknown, socket: string, kind: string): HaproxyRuntimeError {
    const code = error instanceof SocketUnavailableError ? error.code : messageOf(error);
    const fix =
      code === 'EACCES'
        ? `run linkswitch as the user that owns ${socket} (it is mode 600)`
        : code === 'ENOENT' || code === 'ECONNREFUSED'
          ? 'HAProxy is not running: run `linkswitch up`'
          : 'check that HAProxy is running and responsive';
    return new HaproxyRuntimeError(`HAProxy ${kind} socket ${socket} did not answer (${code})`, { fix, cause: error });
  }

  /** False when nothing listens on the master socket; a socket we may not use is an error. */
  async running(): Promise<boolean> {
    try {
      return parseShowProc(await this.master('show proc')) !== null;
    } catch (error) {
      const code = error instanceof SocketUnavailableError ? error.code : '';
      if (code === 'ENOENT' || code === 'ECONNREFUSED') return false;
      throw this.socketError(error, this.paths.masterSocket, 'master');
    }
  }

  private async procInfo(): Promise<ProcInfo> {
    let text: string;
    try {
      text = await this.master('show proc');
    } catch (error) {
      throw this.socketError(error, this.paths.masterSocket, 'master');
    }
    const info = parseShowProc(text);
    if (!info)
      throw new HaproxyRuntimeError(`unexpected answer from the HAProxy master socket ${this.paths.masterSocket}`, {
        detail: text,
        fix: 'point haproxy.masterSocket at the master CLI (-S), not the stats socket',
      });
    return info;
  }

  async validate(configText: string): Promise<void> {
    const key = await this.validated.key(configText);
    if (key === null || !(await this.validated.has(key))) {
      await checkConfig(this.paths, configText);
      if (key !== null) await this.validated.add(key);
    }
    await checkNewBinds(configText, await readFile(this.paths.configFile, 'utf8').catch(() => null));
  }

  async start(): Promise<void> {
    await this.serverState.beforeStart();
    await startMaster(this.paths);
    // Right after -D returns, the master CLI can still reset a connection (ECONNRESET, seen on a
    // loaded CI machine): until it answers `show proc`, any socket error means "not yet".
    await this.waitFor('HAProxy to answer on its master socket after start', async () =>
      this.procInfo().then(
        () => true,
        () => null,
      ),
    );
  }

  /** Reload through the master socket, then prove it: a new worker, and no new failed reload. */
  async reload(): Promise<void> {
    const before = await this.procInfo();
    await this.serverState.beforeReload();
    try {
      await this.reloadAndProve(before);
    } finally {
      await this.serverState.afterReload();
    }
  }

  private async reloadAndProve(before: ProcInfo): Promise<void> {
    const oldWorkers = new Set(before.workers.map((w) => w.pid));
    try {
      await sendCommand({
        path: this.paths.masterSocket,
        command: 'reload',
        timeoutMs: this.paths.reloadTimeout,
        fireAndForget: true,
      });
    } catch (error) {
      throw this.socketError(error, this.paths.masterSocket, 'master');
    }
    await this.waitFor('the HAProxy reload to finish', async () => {
      let info: ProcInfo;
      try {
        info = await this.procInfo();
      } catch {
        return null; // the master re-executes itself during a reload: its socket blinks
      }
      if (info.failed > before.failed) {
        throw new ReloadFailedError(
          'HAProxy reload failed: the new config did not load, the old workers keep serving',
          {
            fix: "run `linkswitch render --check` and read HAProxy's log",
          },
        );
      }
      if (info.reloads <= before.reloads) return null;
      return info.workers.some((w) => !oldWorkers.has(w.pid)) ? true : null;
    });
  }

  /**
   * After a failed reload: reload the restored config until HAProxy accepts connections on its
   * binds again. HAProxy 2.6 can lose its listeners when a reload fails on a bind, and only a
   * later successful reload brings them back.
   */
  async recoverReload(configText: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.waitFor('the HAProxy master to answer after a failed reload', async () =>
        this.procInfo().then(
          () => true,
          () => null,
        ),
      );
      try {
        await this.reload();
        if (await bindsAccepting(configText)) return;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
      if (attempt >= 3) {
        throw new HaproxyRuntimeError('HAProxy does not accept connections after recovering from a failed reload', {
          fix: 'restart HAProxy: `linkswitch down` then `linkswitch up`',
        });
      }
    }
  }

  async stop(): Promise<void> {
    const pid = await masterPid(this.paths);
    if (pid === null) return;
    process.kill(pid, 'SIGUSR1'); // soft stop: workers finish in-flight requests
    const gone = await this.waitFor('HAProxy to stop', async () => (isAlive(pid) ? null : true), 15_000).catch(
      () => false,
    );
    if (!gone && isAlive(pid)) process.kill(pid, 'SIGTERM');
    await unlink(this.paths.pidFile).catch(() => undefined);
  }

  async servers(): Promise<ServerView[]> {
    return parseShowStat(await this.admin('show stat'), this.backend, this.layout.replicas ?? undefined);
  }

  async setWeights(weights: Partial<Record<Colour, number>>): Promise<void> {
    // Raise before lowering: one connection runs the commands in order, so between them both
    // colours are eligible for a moment, and never neither.
    const entries = Object.entries(weights).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0));
    const command = entries
      .flatMap(([colour, weight]) =>
        serverNames(this.layout, colour as Colour).map(
          (server) => `set weight ${this.backend}/${server} ${safeWeight(weight)}`,
        ),
      )
      .join('; ');
    const answer = (await this.admin(command)).trim();
    if (answer.length > 0) {
      throw new HaproxyRuntimeError(`HAProxy refused the weight change: ${answer.split('\n')[0]}`, {
        detail: answer,
        fix: 'check that haproxy.cfg has the linkswitch backend and servers (run `linkswitch up`)',
      });
    }
  }

  async serversState(): Promise<RuntimeServer[]> {
    return parseServersState(await this.admin('show servers state'));
  }

  async runServerCommands(commands: ServerCommand[]): Promise<void> {
    await sendServerCommands((text) => this.admin(text), commands);
  }

  async clearCounters(): Promise<void> {
    const answer = (await this.admin('clear counters all')).trim();
    if (answer.length > 0)
      throw new HaproxyRuntimeError(`HAProxy refused to clear its counters: ${answer.split('\n')[0]}`, {
        detail: answer,
        fix: 'point haproxy.adminSocket at a stats socket with `level admin`',
      });
  }

  async closeSessions(colour: Colour): Promise<void> {
    const command = serverNames(this.layout, colour)
      .map((server) => `shutdown sessions server ${this.backend}/${server}`)
      .join('; ');
    await this.admin(command);
  }

  async installCertificate(file: string, pem: string, crtList: string): Promise<void> {
    await installCertificate((command, payload) => this.admin(command, payload), file, pem, crtList);
  }

  async setMapEntry(file: string, key: string, value: string | null): Promise<void> {
    // Allow-listed by the caller (names, digits, a message of words): no ';' or '#' can reach the
    // CLI, and spaces are escaped so the value stays one argument.
    const escaped = value?.replaceAll(' ', '\\ ');
    const commands = [
      `del map ${file} ${key}`,
      ...(escaped === undefined ? [] : [`add map ${file} ${key} ${escaped}`]),
    ];
    const answer = (await this.admin(commands.join('; '))).trim();
    // `del` of an absent key answers "Key not found."; anything else is a refusal.
    const refusal = answer.split('\n').filter((l) => l.trim() !== '' && !/key not found/i.test(l));
    if (refusal.length > 0)
      throw new HaproxyRuntimeError(`HAProxy refused the map change: ${refusal[0]}`, {
        detail: answer,
        fix: 'check that haproxy.cfg references the map (run `linkswitch up`)',
      });
  }

  private async waitFor<T>(
    what: string,
    check: () => Promise<T | null>,
    timeoutMs = this.paths.reloadTimeout,
  ): Promise<T> {
    const deadline = this.clock.now().getTime() + timeoutMs;
    for (;;) {
      const result = await check();
      if (result !== null && result !== false) return result;
      if (this.clock.now().getTime() >= deadline) {
        throw new HaproxyRuntimeError(`timed out after ${timeoutMs} ms waiting for ${what}`, {
          fix: "check HAProxy's log and that it is running",
        });
      }
      await this.clock.sleep(POLL_MS);
    }
  }
}
