import { ERROR_CODE } from '../protocol/index.js';
import { LeanRequester, type RequestObserver, type RequestTemplate } from '../transport/index.js';
import { BrokerPool, type BrokerLink, type BrokerPoolOptions } from './broker-pool.js';

/**
 * The lean requester over every broker of a cluster. Requests are spread round-robin over
 * the connections that are up; when a broker dies its connections leave the rotation at
 * once, so requests not yet sent go to a live broker, while requests in flight on the dead
 * one end with CONNECTION_ERROR (their outcome is unknown: they are not retried). With no
 * broker up, a request fails at once with CONNECTION_ERROR rather than wait.
 *
 * No allocation per request: `pick()` returns one of the live LeanRequesters, and
 * `send()` is `pick()` then LeanRequester.send.
 */
export class ClusterRequester<T> {
  readonly pool: BrokerPool<LeanRequester<T>>;
  /** The requesters of the links that are up; rebuilt when a link comes up or goes down. */
  private live: LeanRequester<T>[] = [];
  private cursor = 0;

  constructor(
    options: BrokerPoolOptions,
    private readonly observer: RequestObserver<T>,
    hooks: { onUp?(link: BrokerLink<LeanRequester<T>>): void; onDown?(link: BrokerLink<LeanRequester<T>>): void } = {},
  ) {
    this.pool = new BrokerPool<LeanRequester<T>>(options, {
      create: (peer) => new LeanRequester<T>(peer, observer),
      onUp: (link) => {
        this.refresh();
        hooks.onUp?.(link);
      },
      onDown: (link) => {
        this.refresh();
        hooks.onDown?.(link);
      },
    });
  }

  /** Connects to the cluster; see BrokerPool.start. */
  start(): Promise<void> {
    return this.pool.start();
  }

  /** Connections currently taking requests. */
  get liveCount(): number {
    return this.live.length;
  }

  get inFlight(): number {
    let total = 0;
    for (const member of this.pool.members) for (const link of member.links) total += link.connection?.inFlight ?? 0;
    return total;
  }

  /** The next live requester in turn, or undefined when no broker is connected. */
  pick(): LeanRequester<T> | undefined {
    const live = this.live;
    for (let tries = live.length; tries > 0; tries--) {
      if (this.cursor >= live.length) this.cursor = 0;
      const requester = live[this.cursor++]!;
      // A connection lost in this very turn is still listed until its close event has run.
      if (requester.isConnected) return requester;
    }
    return undefined;
  }

  /** Sends on the next live broker; returns the stream id, or 0 when no broker was connected (the observer has heard the error). */
  send(template: RequestTemplate, context: T): number {
    const requester = this.pick();
    if (requester === undefined) {
      this.observer.onError(context, ERROR_CODE.CONNECTION_ERROR, 'no broker of the cluster is connected');
      return 0;
    }
    return requester.send(template, context);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private refresh(): void {
    const live: LeanRequester<T>[] = [];
    for (const link of this.pool.liveLinks()) if (link.connection) live.push(link.connection);
    this.live = live;
  }
}
