import { readFile, unlink } from 'node:fs/promises';
import type { LiveJudgement } from '../core/canary.js';
import { writeFileAtomic } from './atomic-file.js';

// `linkswitch promote|abort` and the canary loop of a running deploy, which holds the deploy lock:
// a request file beside the service's state file, written atomically by the verb and taken
// (read and removed) by the canary at its next poll.

export type CanaryAction = 'promote' | 'abort';

/** A judgement older than this was left by a deploy that is gone (killed, or ended uncleanly). */
const STALE_MS = 10_000;

export class CanaryControlFile {
  constructor(
    private readonly file: string,
    private readonly progressFile: string,
  ) {}

  async publish(progress: LiveJudgement | null): Promise<void> {
    if (progress === null) await unlink(this.progressFile).catch(() => undefined);
    else await writeFileAtomic(this.progressFile, `${JSON.stringify(progress)}\n`);
  }

  async latest(): Promise<LiveJudgement | null> {
    try {
      const progress = JSON.parse(await readFile(this.progressFile, 'utf8')) as LiveJudgement;
      return Date.now() - Date.parse(progress.at) < STALE_MS ? progress : null;
    } catch {
      return null;
    }
  }

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
  return new CanaryControlFile(`${stateFile}.canary`, `${stateFile}.judgement`);
}
