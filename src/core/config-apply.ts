import { COLOURS, type Colour } from './colour.js';
import { backendName } from './haproxy-context.js';
import type { Runtime } from './runtime.js';
import { onlyWeightsDiffer } from './runtime-only-change.js';
import type { MapFile } from './stack-context.js';

// How a rendered haproxy.cfg reaches HAProxy, as docker-gen does it: compared with the live file,
// validated (`haproxy -c`, once per text), written atomically, and only then reloaded. After a
// switch a file that differs only in the weights the runtime API already set is written without
// a reload; a reload that fails before the switch puts the previous file back.

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
   * Writes the rendered config if it differs from the live file and reloads HAProxy if it runs.
   * afterSwitch: the runtime weights already match, so a weights-only difference is not
   * reloaded; switched: a failed reload keeps the new file (it matches the state and weights).
   * onWritten: told once the new file is on disk (before any reload, which may still fail).
   */
  async apply(
    rendered: Rendered,
    { afterSwitch, switched, onWritten }: { afterSwitch: boolean; switched: boolean; onWritten(): void },
  ): Promise<void> {
    const { configFile, haproxy, config } = this.rt;
    const { text } = rendered;
    const previous = await configFile.read();
    if (previous === text) return;
    await this.validate(rendered);
    const runtimeOnly =
      afterSwitch && previous !== null && onlyWeightsDiffer(previous, text, backendName(config.service.name));
    await configFile.write(text);
    onWritten();
    await this.rt.pause?.('config-written');
    if (runtimeOnly || !(await haproxy.running())) return;
    try {
      await haproxy.reload();
    } catch (error) {
      // Before the switch, put back the file the running workers were loaded from, so a
      // later reload or restart does not pick up a config that failed. After the switch
      // the new file is the one that matches the state and the runtime weights: keep it.
      if (previous !== null && !switched) await this.recoverFromFailedReload(previous);
      throw error;
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
