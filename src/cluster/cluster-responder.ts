import { ResponderConnection, type ResponderHandler } from '../transport/index.js';
import { BrokerPool, type BrokerLink, type BrokerPoolOptions } from './broker-pool.js';

/**
 * A lean service registered on every broker of a cluster: one responder connection per
 * broker (SETUP publishes the services), the same handler behind each. A broker that
 * goes away is reconnected with backoff, and registers the service again when it comes
 * back; a broker the pushed list adds is joined.
 */
export class ClusterResponder {
  readonly pool: BrokerPool<ResponderConnection>;

  constructor(
    options: BrokerPoolOptions,
    handler: ResponderHandler,
    hooks: { onUp?(link: BrokerLink<ResponderConnection>): void; onDown?(link: BrokerLink<ResponderConnection>): void } = {},
  ) {
    this.pool = new BrokerPool<ResponderConnection>(options, {
      create: (peer) => new ResponderConnection(peer, handler),
      ...hooks,
    });
  }

  /** Registers on every broker it can reach; see BrokerPool.start. */
  start(): Promise<void> {
    return this.pool.start();
  }

  /** Addresses of the brokers this service is registered on now. */
  registeredOn(): string[] {
    return this.pool.members.filter((member) => member.isUp).map((member) => member.address);
  }

  /** Requests being answered, over every broker. */
  get openStreams(): number {
    let total = 0;
    for (const link of this.pool.liveLinks()) total += link.connection?.openStreams ?? 0;
    return total;
  }

  /** Unregisters everywhere by closing every connection. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
