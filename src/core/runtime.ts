import type { LiveJudgement } from './canary.js';
import type { BackendContext, HaproxyContext } from './haproxy-context.js';
import type { HookPort } from './hooks.js';
import type { HaproxyLayout } from './layout.js';
import type {
  CertificateInfo,
  Clock,
  ConfigFilePort,
  DockerPort,
  HaproxyPort,
  HttpProbe,
  Locker,
  Progress,
  StateStore,
} from './ports.js';
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
  /** `linkswitch promote|abort` as a running canary sees them (one request, taken once). */
  canaryControl?: {
    take(): Promise<'promote' | 'abort' | null>;
    request(action: 'promote' | 'abort'): Promise<void>;
    /** A request is written and not yet taken. */
    pending(): Promise<boolean>;
    clear(): Promise<void>;
    /** What a running canary or watch window saw at its last poll (for `status`); null clears it. */
    publish(progress: LiveJudgement | null): Promise<void>;
    /** The last published judgement, if it is fresh (a killed deploy's goes stale). */
    latest(): Promise<LiveJudgement | null>;
  };
  /** Runs deploy hooks (host commands and one-off containers); absent when none are configured. */
  hooks?: HookPort;
  /**
   * Several services behind one HAProxy: the other services' backends, built from their latest
   * recorded state and containers, so this service's render keeps theirs as they are.
   */
  otherBackends?(): Promise<BackendContext[]>;
  /**
   * Several services: held around render → validate → write → reload, and from a switch until
   * the config that records it is applied, so a concurrent deploy of another service neither
   * overwrites this one's change nor reloads HAProxy with this service's pre-switch weights.
   */
  configLock?: Locker;
  /**
   * HTTPS: checks every certificate the config names (CertificateError for a bad one) and lists
   * them. `required: false` (a preview render) skips files that do not exist yet.
   */
  certificates?(options: { required: boolean }): Promise<CertificateInfo[]>;
  /**
   * HTTPS: one line per certificate that needs a person (expired, expiring within 14 days, an
   * ACME host without a certificate or whose renewal fails), for `status`. The first service only.
   */
  certificateNotes?(): Promise<string[]>;
  /**
   * Every config change reloads HAProxy, as before reload-free deploys (troubleshooting and the
   * bench's comparison; LINKSWITCH_RELOAD_EVERY_CHANGE=1): no server is changed at runtime.
   */
  reloadEveryChange?: boolean;
  /**
   * Test-only pause points (LINKSWITCH_PAUSE_AT): called before and after every step and between
   * writing haproxy.cfg and reloading, so fault tests can kill the controller at an exact phase.
   */
  pause?(point: string): Promise<void>;
}
