// The sidecar's deploys rename the old idle container out of the way instead of removing it
// before the create (core/deploy.ts). It is removed here, a while after the deploy answered:
// not right after the switch, when the freshly switched colour would share the CPU with Docker's
// kill and delete under load. Pending removals run at once on shutdown; what a crash leaves is
// removed by the next start's `up`.

/** Long enough for the new colour to warm up under load; short enough not to keep the old one around. */
export const RETIRED_REMOVAL_DELAY_MS = 10_000;

export class RetiredRemovals {
  private readonly pending = new Map<NodeJS.Timeout, () => Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly delayMs: number) {}

  get size(): number {
    return this.pending.size + this.running.size;
  }

  /** `remove` never rejects (core/deploy.ts turns a failure into a warning). */
  schedule(remove: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.start(remove);
    }, this.delayMs);
    // A pending removal never keeps the process alive: shutdown flushes it, a crash leaves it to `up`.
    timer.unref();
    this.pending.set(timer, remove);
  }

  /** Runs the pending removals now and waits for all of them, at most `withinMs`. */
  async flush(withinMs: number): Promise<void> {
    for (const [timer, remove] of this.pending) {
      clearTimeout(timer);
      this.start(remove);
    }
    this.pending.clear();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, withinMs);
    });
    await Promise.race([Promise.all(this.running), expired]);
    clearTimeout(timer);
  }

  private start(remove: () => Promise<void>): void {
    const running = remove();
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
  }
}
