// The sidecar's deploys rename the old idle container out of the way instead of removing it
// before the create (core/deploy.ts). It is removed here once the sidecar has been idle for a
// while: not right after the switch, when the freshly switched colour would share the CPU with
// Docker's kill and delete under load, and never while another operation runs (a deploy that
// arrives during a removal waits for it). That is the quiet moment the CLI's removal before the
// create has too. Pending removals run at once on shutdown; what a crash leaves is removed by the
// next start's `up`.

/** Long enough for the new colour to warm up under load; short enough not to keep the old one around. */
export const RETIRED_REMOVAL_DELAY_MS = 10_000;
/** A deploy waits at most this long for a removal in progress (Docker's kill and delete: 150-400 ms). */
const DEPLOY_WAIT_MS = 5_000;

type Removal = () => Promise<void>;

export class RetiredRemovals {
  private pending: Removal[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = 0;

  constructor(private readonly delayMs: number) {}

  get size(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  /** `remove` never rejects (core/deploy.ts turns a failure into a warning). */
  schedule(remove: Removal): void {
    this.pending.push(remove);
    this.arm();
  }

  /** No removal starts while an operation runs; a deploy first waits for one in progress. */
  async operationStarts(command: string): Promise<void> {
    this.busy++;
    this.disarm();
    if (command === 'deploy' && this.running) await Promise.race([this.running, sleep(DEPLOY_WAIT_MS)]);
  }

  operationEnds(): void {
    this.busy--;
    if (this.busy === 0 && this.pending.length > 0) this.arm();
  }

  /** Shutdown: the pending removals now (the operations have been drained), waiting at most `withinMs`. */
  async flush(withinMs: number): Promise<void> {
    this.disarm();
    const deadline = Date.now() + withinMs;
    while ((this.pending.length > 0 || this.running) && Date.now() < deadline) {
      if (!this.running) this.start();
      await Promise.race([this.running, sleep(deadline - Date.now())]);
    }
  }

  private arm(): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.busy === 0 && !this.running) this.start();
    }, this.delayMs);
    // A pending removal never keeps the process alive: shutdown flushes it, a crash leaves it to `up`.
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(): void {
    const batch = this.pending;
    this.pending = [];
    this.running = (async () => {
      for (const remove of batch) await remove();
    })().finally(() => {
      this.running = null;
      if (this.busy === 0 && this.pending.length > 0) this.arm();
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
