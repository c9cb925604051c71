import { MAX_REQUEST_N } from '../protocol/index.js';

/**
 * Items pushed by a stream, taken one at a time by an async iterator. The consumer's pace
 * decides the demand: `CreditWindow` asks the peer for more only as items are taken, so
 * a slow consumer never has more than the window buffered (REQUEST_N flow control).
 */
export class ReceiveQueue<T> {
  private items: T[] = [];
  private head = 0;
  private isEnded = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  get isFinished(): boolean {
    return (this.isEnded || this.failure !== undefined) && this.head >= this.items.length;
  }

  push(item: T): void {
    if (this.isEnded || this.failure) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.isEnded = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.isEnded || this.failure) return;
    this.failure = error;
    this.notify();
  }

  /**
   * The next item, or `undefined` once the stream has ended. Rejects with the stream's
   * error, or with `onTimeout()` when nothing arrives within `timeoutMs` (0: wait forever).
   */
  async take(timeoutMs: number, onTimeout: () => Error): Promise<{ item: T } | undefined> {
    while (this.head >= this.items.length) {
      if (this.failure) throw this.failure;
      if (this.isEnded) return undefined;
      await this.waitForChange(timeoutMs, onTimeout);
    }
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { item };
  }

  private waitForChange(timeoutMs: number, onTimeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.wake = undefined;
          reject(onTimeout());
        }, timeoutMs);
      }
    });
  }

  private notify(): void {
    this.wake?.();
  }
}

/**
 * How many items to ask a peer for: `window` up front (or `limit`, if smaller), then
 * again each time half the window has been taken, never more than `limit` in all.
 */
export class CreditWindow {
  /** What to ask for in the request frame. */
  readonly initial: number;
  private requested: number;
  private taken = 0;

  constructor(
    private readonly window: number,
    private readonly limit: number = Infinity,
  ) {
    this.requested = Math.min(window, limit);
    this.initial = Math.min(this.requested, MAX_REQUEST_N);
  }

  /** Counts one item taken; returns how many more to ask for now (0: none). */
  take(): number {
    this.taken++;
    const outstanding = this.requested - this.taken;
    if (outstanding > this.window / 2 || this.requested >= this.limit) return 0;
    const more = Math.min(this.window - outstanding, this.limit - this.requested);
    this.requested += more;
    return more;
  }
}
