import { computeBackoffDelay, LeanRequester, PeerConnection, type ReconnectPolicy, type RequestObserver } from '../transport/index.js';

/** Somewhere to send load: a broker, or a mock's direct listener for the baseline. */
export interface LoadTarget {
  name: string;
  host: string;
  port: number;
}

export interface PoolEvent {
  kind: 'connection-lost' | 'connection-restored';
  target: number;
  message: string;
}

const NO_HANDLER = { onStreamFrame() {}, onConnectionLost() {} };
/** Redial fast: a broker restarted mid-run should get its share back within a second of listening. */
const RECONNECT_POLICY: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.2 };

/**
 * `perTarget` lean requesters to each target. Requests go round-robin over the
 * connections that are up, so a dead broker's share moves to the live ones at once;
 * a lost connection is dialled again (from 100 ms, doubling to 1 s, with jitter) until the pool closes.
 */
export class ConnectionPool {
  readonly requesters: (LeanRequester<number> | undefined)[] = [];
  /** Target index of each connection. */
  readonly targetOf: Int32Array;
  /** Connections written to since the last flush. */
  private readonly isDirty: Uint8Array;
  private readonly failedDials: number[] = [];
  private readonly timers: (NodeJS.Timeout | undefined)[] = [];
  private next = 0;
  private isClosed = false;

  constructor(
    readonly targets: readonly LoadTarget[],
    readonly perTarget: number,
    private readonly observer: RequestObserver<number>,
    private readonly appName: string,
    private readonly onEvent: (event: PoolEvent) => void = () => {},
  ) {
    const count = targets.length * perTarget;
    this.targetOf = new Int32Array(count);
    this.isDirty = new Uint8Array(count);
    for (let c = 0; c < count; c++) {
      this.targetOf[c] = Math.floor(c / perTarget);
      this.requesters.push(undefined);
      this.failedDials.push(0);
      this.timers.push(undefined);
    }
  }

  get size(): number {
    return this.requesters.length;
  }

  /** Opens every connection; fails when a target cannot be reached at all. */
  async open(): Promise<void> {
    await Promise.all(this.requesters.map((_, c) => this.dial(c)));
  }

  /** The next connection that is up, round-robin; -1 when none is. */
  pick(): number {
    const count = this.requesters.length;
    for (let tried = 0; tried < count; tried++) {
      const c = this.next;
      this.next = c + 1 === count ? 0 : c + 1;
      const requester = this.requesters[c];
      if (requester !== undefined && requester.isConnected) return c;
    }
    return -1;
  }

  isConnected(c: number): boolean {
    return this.requesters[c]?.isConnected ?? false;
  }

  /** Sends on connection `c` (from `pick`) and returns the stream id. */
  send(c: number, template: Parameters<LeanRequester<number>['send']>[0], slot: number): number {
    this.isDirty[c] = 1;
    return this.requesters[c]!.send(template, slot);
  }

  cancel(c: number, streamId: number): void {
    const requester = this.requesters[c];
    if (requester === undefined || !requester.isConnected) return;
    requester.cancel(streamId);
    this.isDirty[c] = 1;
  }

  /** Writes what this tick queued: one write per connection written to. */
  flush(): void {
    for (let c = 0; c < this.isDirty.length; c++) {
      if (this.isDirty[c] === 0) continue;
      this.isDirty[c] = 0;
      const requester = this.requesters[c];
      if (requester !== undefined && requester.isConnected) requester.peer.connection.flush();
    }
  }

  get inFlight(): number {
    let total = 0;
    for (const requester of this.requesters) total += requester?.inFlight ?? 0;
    return total;
  }

  private async dial(c: number): Promise<void> {
    const target = this.targets[this.targetOf[c]!]!;
    const peer = await PeerConnection.connect(
      { host: target.host, port: target.port, app: { name: this.appName, uuid: `${this.appName}-${process.pid}-${c}` }, connectTimeoutMs: 3_000 },
      NO_HANDLER,
    );
    if (this.isClosed) {
      await peer.close();
      return;
    }
    this.requesters[c] = new LeanRequester<number>(peer, this.observer);
    this.failedDials[c] = 0;
    void peer.closed.then((error) => this.onLost(c, error));
  }

  private onLost(c: number, error: Error | undefined): void {
    if (this.isClosed) return;
    this.onEvent({ kind: 'connection-lost', target: this.targetOf[c]!, message: error?.message ?? 'closed by the peer' });
    this.scheduleRedial(c);
  }

  private scheduleRedial(c: number): void {
    const delay = computeBackoffDelay(RECONNECT_POLICY, this.failedDials[c]!++);
    this.timers[c] = setTimeout(() => {
      this.timers[c] = undefined;
      if (this.isClosed) return;
      this.dial(c).then(
        () => {
          if (!this.isClosed) this.onEvent({ kind: 'connection-restored', target: this.targetOf[c]!, message: 'reconnected' });
        },
        () => this.scheduleRedial(c),
      );
    }, delay);
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.requesters.map((requester) => (requester?.isConnected ? requester.peer.close() : undefined)));
  }
}

export function describeTargets(targets: readonly LoadTarget[]): string {
  return targets.map((target) => `${target.name} (${target.host}:${target.port})`).join(', ');
}
