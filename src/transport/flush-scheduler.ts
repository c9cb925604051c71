/** Something with bytes queued that wants them written once the current event-loop turn is done. */
export interface Flushable {
  flush(): void;
}

/**
 * Batches writes across a whole event-loop turn: every connection that queued bytes is
 * flushed once, in the check phase after all sockets readable in this turn have been
 * read. One write (one writev) per connection per turn instead of one per frame.
 */
class FlushScheduler {
  private pending: Flushable[] = [];
  private isScheduled = false;
  private readonly run = (): void => {
    this.isScheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i++) batch[i]!.flush();
  };

  schedule(target: Flushable): void {
    this.pending.push(target);
    if (!this.isScheduled) {
      this.isScheduled = true;
      setImmediate(this.run);
    }
  }
}

export const flushScheduler = new FlushScheduler();
