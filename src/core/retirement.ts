import type { Colour } from './colour.js';
import type { DockerPort, Progress } from './ports.js';

// The old idle container of a deploy is retired, not removed on the critical path: its name is
// freed at once (DockerPort.retire renames it) and Docker removes it once the new colour has
// started, during the wait for its health: not while the new container is being created and
// started, where the two would contend for the engine and the CPU, and live traffic would feel it.
// The deploy settles the removal before HAProxy is pointed at the new colour, so nothing is
// addressed while the old container may still be going away; a failure then fails the deploy
// as a failed removal did before, with traffic and the linked colour untouched.

export class Retirement {
  private waiting: Array<() => Promise<void>> = [];
  private removal: Promise<void> | null = null;

  constructor(private readonly docker: DockerPort) {}

  /** Frees the colour's container name; its removal waits for `launch`. */
  async begin(colour: Colour): Promise<void> {
    if (!this.docker.retire) {
      await this.docker.remove(colour);
      return;
    }
    const { remove } = await this.docker.retire(colour);
    this.waiting.push(remove);
  }

  /** Starts the removals begun so far, in the background. */
  launch(): void {
    if (this.waiting.length === 0) return;
    const started = this.waiting.map((remove) => remove());
    this.waiting = [];
    const previous = this.removal;
    const removal = Promise.all([previous, ...started]).then(() => undefined);
    // Settled later (settle); until then a failure must not count as an unhandled rejection.
    removal.catch(() => undefined);
    this.removal = removal;
  }

  /** Waits until the retired containers are gone (starting their removal if need be); throws what a removal threw. */
  async settle(): Promise<void> {
    this.launch();
    const removal = this.removal;
    this.removal = null;
    await removal;
  }

  /** After a failed step: never leave the removal running unobserved. */
  async settleQuietly(progress: Progress): Promise<void> {
    try {
      await this.settle();
    } catch (error) {
      progress.warn('Removing the old idle container failed; `linkswitch down` or the next deploy removes it', {
        error: String(error),
      });
    }
  }
}
