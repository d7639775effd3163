import type { HaproxyContext } from './haproxy-context.js';
import type { HaproxyLayout } from './layout.js';
import type { Clock, ConfigFilePort, DockerPort, HaproxyPort, HttpProbe, Progress, StateStore } from './ports.js';
import type { Settings } from './settings.js';

// Everything a core verb runs against: the settings, the chosen layout and the ports. Built once
// by the composition root (src/app/root.ts); core tests pass plain fakes.

export interface Runtime {
  config: Settings;
  /** How HAProxy reaches the colours (one server, or a DNS server-template per colour). */
  layout: HaproxyLayout;
  docker: DockerPort;
  haproxy: HaproxyPort;
  configFile: ConfigFilePort;
  store: StateStore;
  clock: Clock;
  probe: HttpProbe;
  progress: Progress;
  render(context: HaproxyContext): Promise<string>;
  /**
   * Test-only pause points (LINKSWITCH_PAUSE_AT): called before and after every step and between
   * writing haproxy.cfg and reloading, so fault tests can kill the controller at an exact phase.
   */
  pause?(point: string): Promise<void>;
}
