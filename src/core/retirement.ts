import type { Colour } from './colour.js';
import type { DockerPort, Progress } from './ports.js';

// The old idle container of a deploy is retired, not removed on the critical path: its name is
// freed at once and Docker removes it while the new colour starts (DockerPort.retire). The
// deploy settles the removal before HAProxy is pointed at the new colour, so nothing is
// addressed while the old container may still be going away; a failure then fails the deploy
// as a failed removal did before, with traffic and the linked colour untouched.

export class Retirement {
  private removal: Promise<void> | null = null;

  constructor(private readonly docker: DockerPort) {}

  /** Frees the colour's container name; the removal goes on in the background. */
  async begin(colour: Colour): Promise<void> {
    if (!this.docker.retire) {
      await this.docker.remove(colour);
      return;
    }
    const previous = this.removal;
    const { removed } = await this.docker.retire(colour);
    const removal = previous ? Promise.all([previous, removed]).then(() => undefined) : removed;
    // Settled later (settle); until then a failure must not count as an unhandled rejection.
    removal.catch(() => undefined);
    this.removal = removal;
  }

  /** Waits until the retired container is gone; throws what the removal threw. */
  async settle(): Promise<void> {
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
