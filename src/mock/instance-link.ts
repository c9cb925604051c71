import { computeBackoffDelay, ResponderConnection, type PeerConnectOptions, type ReconnectPolicy, type ResponderHandler } from '../transport/index.js';
import { formatBrokerAddress, type BrokerAddress } from '../sdk/brokers.js';

export type InstanceEvent =
  | { kind: 'lost'; instance: number; broker: string; reason: string; retryInMs: number }
  | { kind: 'retry-failed'; instance: number; broker: string; reason: string; retryInMs: number }
  | { kind: 'reconnected'; instance: number; broker: string };

/**
 * One mock instance's connection to one broker, on the lean responder: registered by its
 * SETUP, and reconnected with backoff (the same SETUP, so registered again) whenever the
 * broker goes away, until `close()`.
 */
export class InstanceLink {
  readonly broker: string;
  private connection: ResponderConnection | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(
    readonly instance: number,
    private readonly address: BrokerAddress,
    private readonly setup: Omit<PeerConnectOptions, 'host' | 'port'>,
    private readonly handler: ResponderHandler,
    private readonly policy: ReconnectPolicy,
    private readonly onEvent: (event: InstanceEvent) => void,
  ) {
    this.broker = formatBrokerAddress(address);
  }

  get isConnected(): boolean {
    return this.connection?.peer.connection.isOpen ?? false;
  }

  /** Requests being answered on this connection now. */
  get openStreams(): number {
    return this.connection?.openStreams ?? 0;
  }

  /** The first connection; throws what stopped it (ConnectError, SetupRejectedError). */
  async open(): Promise<void> {
    this.adopt(await this.dial());
  }

  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.retryTimer);
    await this.connection?.peer.close();
  }

  private dial(): Promise<ResponderConnection> {
    return ResponderConnection.connect({ ...this.setup, host: this.address.host, port: this.address.port }, this.handler);
  }

  private adopt(connection: ResponderConnection): void {
    this.connection = connection;
    this.attempt = 0;
    void connection.peer.closed.then((error) => {
      if (this.isClosed || this.connection !== connection) return;
      this.onEvent({ kind: 'lost', instance: this.instance, broker: this.broker, reason: error?.message ?? 'closed by the broker', retryInMs: this.scheduleRetry() });
    });
  }

  private scheduleRetry(): number {
    const delay = computeBackoffDelay(this.policy, this.attempt++);
    this.retryTimer = setTimeout(() => void this.retry(), delay);
    return delay;
  }

  private async retry(): Promise<void> {
    if (this.isClosed) return;
    try {
      const connection = await this.dial();
      if (this.isClosed) {
        await connection.peer.close();
        return;
      }
      this.adopt(connection);
      this.onEvent({ kind: 'reconnected', instance: this.instance, broker: this.broker });
    } catch (error) {
      if (this.isClosed) return;
      this.onEvent({ kind: 'retry-failed', instance: this.instance, broker: this.broker, reason: (error as Error).message, retryInMs: this.scheduleRetry() });
    }
  }
}
