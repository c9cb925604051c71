/** What backpressure needs of a connection that feeds others: to stop reading, and to start again. */
export interface ReadingControl {
  pauseReading(): void;
  resumeReading(): void;
}

/**
 * The connections one connection has paused because its send queue was full. A source
 * that feeds a congested destination stops being read (so the broker buffers no more for
 * it) until that destination drains; then every source it paused reads again. One per
 * connection, on the destination's side.
 */
export class PausedSources {
  private readonly sources = new Set<ReadingControl>();

  pause(source: ReadingControl): void {
    if (this.sources.has(source)) return;
    this.sources.add(source);
    source.pauseReading();
  }

  /** The destination drained (or closed): its sources read again. */
  resumeAll(): void {
    for (const source of this.sources) source.resumeReading();
    this.sources.clear();
  }
}
