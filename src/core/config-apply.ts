import { COLOURS, type Colour } from './colour.js';
import { HaproxyRuntimeError } from './errors.js';
import { backendName } from './haproxy-context.js';
import { serverNames } from './layout.js';
import type { Runtime } from './runtime.js';
import { decideConfigChange, type ServerLine, serverLines } from './runtime-change.js';
import { reconcileServers, serverMismatches, stagingBatches } from './runtime-servers.js';
import type { MapFile } from './stack-context.js';

// How a rendered haproxy.cfg reaches HAProxy, as docker-gen does it: compared with the live file,
// validated (`haproxy -c`, once per text) and written atomically. A file that differs only in
// server addresses, ports, weights or placeholders is applied through the runtime API first and
// not reloaded (a deploy, a switch, a rollback); anything else is reloaded once written. A reload
// that fails before the switch puts the previous file back.

/** How long a runtime change may take to show in `show servers state` (see `settled`). */
const SETTLE_MS = 500;
const SETTLE_POLL_MS = 5;

/** A rendered haproxy.cfg and the map files it references. */
export interface Rendered {
  text: string;
  maps: MapFile[];
}

export class ConfigApplier {
  /** Config texts `haproxy -c` already accepted in this run: check-config then apply-config need one check. */
  private readonly validated = new Set<string>();

  constructor(private readonly rt: Runtime) {}

  async validate(rendered: Rendered): Promise<void> {
    if (this.validated.has(rendered.text)) return;
    // Content-addressed maps: writing them first cannot change what the running HAProxy uses.
    await this.rt.configFile.writeMaps(rendered.maps);
    await this.rt.haproxy.validate(rendered.text);
    this.validated.add(rendered.text);
  }

  /** Validates the config for either colour linked, ignoring failures: the real step reports them. */
  async prevalidate(render: (linked: Colour) => Promise<Rendered>): Promise<void> {
    await Promise.all(
      COLOURS.map(async (colour) => {
        try {
          await this.validate(await render(colour));
        } catch {
          // Reported by the apply-config or check-config step that needs this text.
        }
      }),
    );
  }

  /**
   * Brings HAProxy and the live file to the rendered config: through the runtime API when only
   * server lines differ (src/core/runtime-change.ts), else by writing the file and reloading.
   * fresh: a colour whose container is new, which HAProxy must check afresh even at an address
   * it knew. freshCounters: after staging `fresh` at runtime, zero HAProxy's counters (a reload
   * starts from zero anyway). switched: a failed reload keeps the new file (it matches the state
   * and weights).
   * onWritten: told once the new file is on disk (before any reload, which may still fail).
   */
  async apply(
    rendered: Rendered,
    {
      fresh,
      freshCounters = false,
      switched,
      onWritten,
    }: { fresh?: Colour; freshCounters?: boolean; switched: boolean; onWritten(): void },
  ): Promise<void> {
    const { configFile, haproxy, config } = this.rt;
    const { text } = rendered;
    const previous = await configFile.read();
    const change = decideConfigChange(previous, text);
    const running = await haproxy.running();
    const own = backendName(config.service.name);
    // reloadEveryChange: as before reload-free deploys, only weights go through the runtime API
    // (a switch already set them) and a same text needs nothing.
    const weightsOnly = this.rt.reloadEveryChange === true;
    if (change.kind === 'same') {
      // The file is what runs, unless a crash came between a runtime change and its file.
      if (!running || weightsOnly || (await this.reconcile(serverLines(text), [own], { fresh, freshCounters }))) return;
    } else {
      await this.validate(rendered);
      const runtime =
        running &&
        change.kind === 'runtime' &&
        (await this.reconcile(change.servers, [...change.backends, own], { fresh, freshCounters, weightsOnly }));
      // Fault tests kill here: HAProxy runs the new servers, the file still says the old ones.
      if (runtime) await this.rt.pause?.('runtime-changed');
      await configFile.write(text);
      onWritten();
      await this.rt.pause?.('config-written');
      if (runtime || !running) return;
      if (change.kind === 'reload') this.rt.progress.detail?.(`reloading HAProxy: ${change.reason}`);
    }
    try {
      await haproxy.reload();
    } catch (error) {
      // Before the switch, put back the file the running workers were loaded from, so a
      // later reload or restart does not pick up a config that failed. After the switch
      // the new file is the one that matches the state and the runtime weights: keep it.
      if (previous !== null && previous !== text && !switched) await this.recoverFromFailedReload(previous);
      throw error;
    }
  }

  /**
   * Sets the servers of `backends` to what `desired` says through the runtime API and reads
   * them back. False (and nothing half-done that a reload would not redo) when that cannot be
   * done or did not take: the caller reloads instead, so the file never silently differs.
   */
  private async reconcile(
    desired: ServerLine[],
    backends: string[],
    {
      fresh,
      freshCounters = false,
      weightsOnly = false,
    }: { fresh?: Colour | undefined; freshCounters?: boolean; weightsOnly?: boolean },
  ): Promise<boolean> {
    const { haproxy, progress } = this.rt;
    const own = backendName(this.rt.config.service.name);
    const renew = fresh ? serverNames(this.rt.layout, fresh).map((server) => `${own}/${server}`) : [];
    const planned = reconcileServers(desired, await haproxy.serversState(), backends, renew);
    if ('problem' in planned) {
      progress.detail?.(`reloading HAProxy: ${planned.problem}`);
      return false;
    }
    if (weightsOnly && planned.commands.some((c) => c.kind !== 'weight')) return false;
    if (planned.commands.length === 0) return true;
    const [addresses, rest] = stagingBatches(planned.commands);
    try {
      if (addresses.length > 0) {
        await haproxy.runServerCommands(addresses);
        const moving = await this.settled(desired, backends, true);
        if (moving.length > 0) {
          progress.warn('HAProxy did not take a server address; reloading it from haproxy.cfg', {
            mismatch: moving[0],
          });
          return false;
        }
      }
      await haproxy.runServerCommands(rest);
    } catch (error) {
      if (!(error instanceof HaproxyRuntimeError)) throw error;
      // A command HAProxy refused: the reload that follows loads the file, whatever ran.
      progress.warn('HAProxy refused a runtime change; reloading it from haproxy.cfg', { error: error.shortMessage });
      return false;
    }
    const left = await this.settled(desired, backends);
    if (left.length === 0) {
      // A canary or watch window reads the new colour's average response time, which HAProxy
      // keeps per server across addresses: the previous container's would still be in it.
      if (freshCounters && renew.length > 0) await haproxy.clearCounters();
      return true;
    }
    progress.warn('HAProxy did not take a runtime change; reloading it from haproxy.cfg', { mismatch: left[0] });
    return false;
  }

  /**
   * Reads the servers back until they match or SETTLE_MS passed. HAProxy 3.0 answers "changed
   * from … to …" for an address at once but applies it to the server a moment later, from
   * another thread. A read right after the command showed the old address in 2 of 2000 bare
   * changes, and in half the runs of switch-without-reload on 3.0 (each then reloaded instead);
   * with this loop, 18 late reads in 8 runs all settled within 3 ms.
   */
  private async settled(desired: ServerLine[], backends: string[], addressesOnly = false): Promise<string[]> {
    const { haproxy, clock } = this.rt;
    const started = clock.monotonic();
    for (;;) {
      const left = serverMismatches(desired, await haproxy.serversState(), backends, addressesOnly);
      if (left.length === 0 || clock.monotonic() - started >= SETTLE_MS) return left;
      await clock.sleep(SETTLE_POLL_MS);
    }
  }

  /**
   * A failed reload can leave HAProxy's listeners paused (2.6 pauses them before the new
   * process binds and may not resume them), so reload the last good config once more: a
   * successful reload is what brings the listeners back.
   */
  private async recoverFromFailedReload(previous: string): Promise<void> {
    await this.rt.configFile.write(previous);
    try {
      await this.rt.haproxy.recoverReload(previous);
      this.rt.progress.warn('Reload failed; restored and reloaded the previous haproxy.cfg');
    } catch (error) {
      this.rt.progress.warn('Recovery reload of the previous haproxy.cfg failed too; run `linkswitch up`', {
        error: String(error),
      });
    }
  }
}
