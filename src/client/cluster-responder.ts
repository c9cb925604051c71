import { ResponderConnection, type ResponderHandler } from '../transport/index.js';
import type { BrokerPool } from './broker-pool.js';
import { createLeanPool, type LeanPoolOptions } from './lean-dialer.js';

/**
 * A lean service registered on every broker of a cluster: one responder connection per
 * broker (SETUP publishes the services), the same handler behind each. A broker that
 * goes away is reconnected with backoff, and registers the service again when it comes
 * back; a broker the pushed list adds is joined.
 */
export class ClusterResponder {
  readonly pool: BrokerPool<ResponderConnection>;

  constructor(options: LeanPoolOptions, handler: ResponderHandler) {
    this.pool = createLeanPool(options, (peer) => new ResponderConnection(peer, handler));
  }

  /** Registers on every broker it can reach; see BrokerPool.start. */
  start(): Promise<void> {
    return this.pool.start();
  }

  /** The brokers this service is registered on now. */
  registeredOn(): string[] {
    return this.pool.members.filter((member) => member.isUp).map((member) => member.name);
  }

  /** Unregisters everywhere by closing every connection. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
