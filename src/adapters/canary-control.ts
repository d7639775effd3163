import { readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';

// `linkswitch promote|abort` and the canary loop of a running deploy, which holds the deploy lock:
// a request file beside the service's state file, written atomically by the verb and taken
// (read and removed) by the canary at its next poll.

export type CanaryAction = 'promote' | 'abort';

export class CanaryControlFile {
  constructor(private readonly file: string) {}

  async request(action: CanaryAction): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ action, at: new Date().toISOString() })}\n`);
  }

  async take(): Promise<CanaryAction | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    await unlink(this.file).catch(() => undefined);
    try {
      const action = (JSON.parse(text) as { action?: unknown }).action;
      return action === 'promote' || action === 'abort' ? action : null;
    } catch {
      return null; // a damaged request is no request
    }
  }

  async pending(): Promise<boolean> {
    return readFile(this.file).then(
      () => true,
      () => false,
    );
  }

  /** A request left from an earlier canary must not steer the next one. */
  async clear(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}

export function canaryControlFile(stateFile: string): CanaryControlFile {
  return new CanaryControlFile(`${stateFile}.canary`);
}
