import type { InputKind } from './watch-inputs.js';

// One queue for every reason to re-render haproxy.cfg (start, a template or config edit, a
// colour container started behind our back). Like docker-gen's `wait: min:max`, a burst of
// triggers is gathered for `minWaitMs` after the last one, but never longer than `maxWaitMs`
// after the first; triggers that arrive while a run is in progress make exactly one more run.

export interface ReconcileRun {
  /** The reasons gathered into this run, oldest first. */
  reasons: string[];
  /** Which inputs changed ('config' means the config file must be read again). */
  kinds: Set<InputKind>;
}

export interface ReconcileQueueOptions {
  run(batch: ReconcileRun): Promise<boolean>;
  minWaitMs: number;
  maxWaitMs: number;
  /** After this aborts, nothing new starts; pending requests resolve false. */
  signal: AbortSignal;
}

interface Batch extends ReconcileRun {
  firstAt: number;
  lastAt: number;
  waiters: Array<(ok: boolean) => void>;
}

export class ReconcileQueue {
  private pending: Batch | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(private readonly options: ReconcileQueueOptions) {
    options.signal.addEventListener('abort', () => this.cancel(), { once: true });
  }

  /** True while a run is in progress or one is waiting to start. */
  get busy(): boolean {
    return this.running !== null || this.pending !== null;
  }

  /**
   * Queues a reconcile; resolves with the outcome of the run that covers it. `immediate` skips
   * the gathering wait (start-up, where nothing else is coming).
   */
  request(reason: string, kinds: Iterable<InputKind> = [], { immediate = false } = {}): Promise<boolean> {
    if (this.options.signal.aborted) return Promise.resolve(false);
    const now = Date.now();
    this.pending ??= { reasons: [], kinds: new Set(), firstAt: now, lastAt: now, waiters: [] };
    const batch = this.pending;
    batch.lastAt = now;
    batch.reasons.push(reason);
    for (const kind of kinds) batch.kinds.add(kind);
    const outcome = new Promise<boolean>((resolve) => batch.waiters.push(resolve));
    this.schedule(immediate);
    return outcome;
  }

  private schedule(immediate: boolean): void {
    const batch = this.pending;
    if (!batch || this.running) return; // the run in progress schedules the next one when it ends
    clearTimeout(this.timer);
    const { minWaitMs, maxWaitMs } = this.options;
    const due = Math.min(batch.lastAt + minWaitMs, batch.firstAt + maxWaitMs);
    const delay = immediate ? 0 : Math.max(0, due - Date.now());
    this.timer = setTimeout(() => this.start(), delay);
  }

  private start(): void {
    const batch = this.pending;
    if (!batch || this.running) return;
    this.pending = null;
    this.running = (async () => {
      let ok = false;
      try {
        ok = await this.options.run({ reasons: batch.reasons, kinds: batch.kinds });
      } catch {
        ok = false; // the run reports its own failures; the queue only sequences them
      }
      for (const resolve of batch.waiters) resolve(ok);
    })().finally(() => {
      this.running = null;
      // Requests made during the run: gathered from the time they arrived, not from now.
      if (this.pending && !this.options.signal.aborted) this.schedule(false);
    });
  }

  private cancel(): void {
    clearTimeout(this.timer);
    const batch = this.pending;
    this.pending = null;
    for (const resolve of batch?.waiters ?? []) resolve(false);
  }
}
