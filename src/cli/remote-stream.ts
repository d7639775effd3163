import type { Progress } from '../core/ports.js';
import type { CommandResult } from '../core/service.js';
import { RemoteError } from '../sidecar/errors.js';
import type { ProgressSink, StreamLine } from '../sidecar/protocol.js';

// The CLI's end of a followed deploy or rollback (sidecar/progress-stream.ts): each line is
// replayed into this command's own progress (the step view, plain lines, `--events` or logs),
// so a verb that ran in the sidecar reads the same as one that ran here.

export interface FollowedOutcome {
  /** Set once the outcome line arrived. */
  result?: CommandResult;
  error?: RemoteError;
}

/** Feeds NDJSON text in arbitrary chunks; hands each complete line to the sink or the outcome. */
export class StreamReader {
  private pending = '';
  /** One progress per service, made once: a step view keeps its state in it. */
  private readonly progress = new Map<string, Progress>();
  readonly outcome: FollowedOutcome = {};

  constructor(private readonly sink: ProgressSink) {}

  push(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line) this.take(JSON.parse(line) as StreamLine);
      newline = this.pending.indexOf('\n');
    }
  }

  private take(line: StreamLine): void {
    if ('result' in line) this.outcome.result = line.result;
    else if ('error' in line) this.outcome.error = new RemoteError(line.error);
    else {
      const progress = this.progress.get(line.service) ?? this.sink(line.service);
      this.progress.set(line.service, progress);
      if (line.progress === 'phase') progress.phase(line.name, line.fields);
      else if (line.progress === 'warn') progress.warn(line.message, line.fields);
      else if (line.progress === 'detail') progress.detail?.(line.text);
      else progress.output?.(line.line);
    }
  }
}
