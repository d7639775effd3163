import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Config } from '../config/load.js';
import type { Colour } from '../core/colour.js';
import { HaproxyConfigError, HaproxyRuntimeError, messageOf } from '../core/errors.js';
import { backendName, serverStateFileFor, swarmSlots } from '../core/haproxy-context.js';
import type { Clock, HaproxyPort, ServerView } from '../core/ports.js';
import { safeWeight } from '../core/safe-values.js';
import { bindsAccepting, checkNewBinds } from './bind-check.js';
import { type ProcInfo, parseShowProc, parseShowStat } from './haproxy-parse.js';
import { SocketUnavailableError, sendCommand } from './haproxy-socket.js';

// The only module that runs the haproxy binary or talks to its sockets. The binary runs through
// execa with argument arrays (never a shell); socket commands are built from validated names.

const SOCKET_TIMEOUT_MS = 3000;
const POLL_MS = 25;

export class Haproxy implements HaproxyPort {
  private readonly backend: string;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
  ) {
    this.backend = backendName(config.service.name);
  }

  private get paths() {
    return this.config.haproxy;
  }

  private async master(command: string): Promise<string> {
    // `quit` makes the master CLI close the connection instead of waiting for more commands.
    return sendCommand({ path: this.paths.masterSocket, command: `${command}; quit`, timeoutMs: SOCKET_TIMEOUT_MS });
  }

  private async admin(command: string): Promise<string> {
    try {
      return await sendCommand({ path: this.paths.adminSocket, command, timeoutMs: SOCKET_TIMEOUT_MS });
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
    const dir = path.dirname(this.paths.configFile);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Same directory as the live file so relative paths in the config resolve the same way.
    const temp = path.join(dir, `.check-${process.pid}-${randomBytes(4).toString('hex')}.cfg`);
    await writeFile(temp, configText, { mode: 0o600 });
    try {
      await execa(this.paths.binary, ['-c', '-f', temp], { all: true, timeout: 30_000 });
    } catch (error) {
      // Keep HAProxy's ALERT/WARNING lines; the NOTICE banner (version, executable) is noise.
      const output = ((error as { all?: string }).all ?? messageOf(error))
        .replaceAll(temp, 'haproxy.cfg')
        .split('\n')
        .filter((line) => !line.includes('[NOTICE]'))
        .join('\n')
        .trim();
      const missing = (error as { code?: string }).code === 'ENOENT';
      throw new HaproxyConfigError(
        missing
          ? `HAProxy binary "${this.paths.binary}" not found`
          : 'HAProxy rejected the rendered config (haproxy -c)',
        {
          detail: output,
          fix: missing
            ? 'install haproxy or set haproxy.binary'
            : 'fix the template or config; the live haproxy.cfg was not changed',
          cause: error,
        },
      );
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await checkNewBinds(configText, await readFile(this.paths.configFile, 'utf8').catch(() => null));
  }

  async start(): Promise<void> {
    await mkdir(path.dirname(this.paths.masterSocket), { recursive: true, mode: 0o700 });
    try {
      // -W master-worker, -D: the master daemonizes, so this returns once the first worker is
      // forked; -S: the master CLI (mode 600) used for reloads.
      await execa(
        this.paths.binary,
        [
          '-W',
          '-D',
          '-S',
          `${this.paths.masterSocket},mode,600`,
          '-f',
          this.paths.configFile,
          '-p',
          this.paths.pidFile,
        ],
        {
          all: true,
          stdin: 'ignore',
          timeout: 30_000,
        },
      );
    } catch (error) {
      throw new HaproxyRuntimeError('HAProxy failed to start', {
        detail: (error as { all?: string }).all ?? messageOf(error),
        fix: 'read the HAProxy output above (a port in use or a permission problem is common)',
        cause: error,
      });
    }
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
    if (this.config.engine?.kind === 'swarm') await this.saveServerState();
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
        throw new HaproxyRuntimeError(
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
    let pid: number;
    try {
      pid = Number((await readFile(this.paths.pidFile, 'utf8')).trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !(await isHaproxyProcess(pid))) return;
    process.kill(pid, 'SIGUSR1'); // soft stop: workers finish in-flight requests
    const gone = await this.waitFor('HAProxy to stop', async () => (isAlive(pid) ? null : true), 15_000).catch(
      () => false,
    );
    if (!gone && isAlive(pid)) process.kill(pid, 'SIGTERM');
    await unlink(this.paths.pidFile).catch(() => undefined);
  }

  async servers(): Promise<ServerView[]> {
    const engine = this.config.engine;
    return parseShowStat(
      await this.admin('show stat'),
      this.backend,
      engine?.kind === 'swarm' ? engine.replicas : undefined,
    );
  }

  async setWeights(weights: Partial<Record<Colour, number>>): Promise<void> {
    // Raise before lowering: one connection runs the commands in order, so between them both
    // colours are eligible for a moment, and never neither.
    const entries = Object.entries(weights).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0));
    const command = entries
      .flatMap(([colour, weight]) =>
        this.serverNames(colour as Colour).map(
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

  /**
   * Swarm engine: the running worker's `show servers state` into the server-state-file, so the
   * reloaded worker starts with the task addresses DNS gave the old one (init-addr last).
   */
  private async saveServerState(): Promise<void> {
    const text = await this.admin('show servers state');
    const file = serverStateFileFor(this.config);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
    await rename(temp, file);
  }

  /** The colour's server, or every member of its server-template (Swarm engine: blue1…blueN). */
  private serverNames(colour: Colour): string[] {
    const engine = this.config.engine;
    if (engine?.kind !== 'swarm') return [colour];
    return Array.from({ length: swarmSlots(engine) }, (_, i) => `${colour}${i + 1}`);
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Only signal a pid from our pidfile if it is still an haproxy process (pids get reused). */
async function isHaproxyProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0]?.includes('haproxy') ?? false;
  } catch {
    return isAlive(pid);
  }
}
