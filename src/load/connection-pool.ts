import type { TlsClientOptions } from '../transport/index.js';
import { createLeanPool, FAST_RECONNECT_POLICY, formatBrokerAddress, keepAliveForLifetime, type BrokerAddress, type BrokerLink, type BrokerMember, type BrokerPool } from '../client/index.js';
import { LeanRequester, type RequestObserver, type RequestTemplate } from '../transport/index.js';

/** Somewhere to send load: a broker, or a mock's direct listener for the baseline, under the name its figures are reported by. */
export interface LoadTarget extends BrokerAddress {
  name: string;
}

export interface PoolEvent {
  kind: 'connection-lost' | 'connection-restored';
  target: number;
  message: string;
}

/**
 * The load engine's view of a BrokerPool (src/client): `perTarget` lean
 * requesters to each target, numbered so that connection `c` belongs to target
 * `targetOf[c]` — what per-broker counts, cancels and flushes need on the hot path.
 * Requests go round-robin over the connections that are up, so a dead broker's share
 * moves to the live ones at once; the pool redials lost ones. The targets are exactly
 * those given (a pushed broker list is not followed): a load run reports per target.
 */
/** How each connection of a pool connects, beyond where. */
export interface ConnectionSettings {
  /** Bearer token sent in SETUP (brokers started with --auth jwt). */
  token?: string | undefined;
  /** `--keepalive-lifetime`: a broker silent this long is taken for gone (a partition), and dialing gives up within it. */
  keepaliveLifetimeMs?: number | undefined;
  /** tcps and wss targets: what to trust and show. */
  tls?: TlsClientOptions | undefined;
}

export class ConnectionPool<T = number> {
  readonly requesters: (LeanRequester<T> | undefined)[] = [];
  /** Target index of each connection. */
  readonly targetOf: Int32Array;
  private readonly pool: BrokerPool<LeanRequester<T>>;
  /** Connections written to since the last flush. */
  private readonly isDirty: Uint8Array;
  private readonly hasBeenUp: Uint8Array;
  private next = 0;
  private isClosing = false;

  constructor(
    readonly targets: readonly LoadTarget[],
    readonly perTarget: number,
    observer: RequestObserver<T>,
    appName: string,
    private readonly onEvent: (event: PoolEvent) => void = () => {},
    connection: ConnectionSettings = {},
  ) {
    const count = targets.length * perTarget;
    this.targetOf = new Int32Array(count);
    this.isDirty = new Uint8Array(count);
    this.hasBeenUp = new Uint8Array(count);
    for (let c = 0; c < count; c++) {
      this.targetOf[c] = Math.floor(c / perTarget);
      this.requesters.push(undefined);
    }
    this.pool = createLeanPool(
      {
        brokers: targets.map((target) => ({ ...target, id: target.name })),
        followBrokerList: false,
        connectionsPerBroker: perTarget,
        connectTimeoutMs: 3_000,
        ...(connection.keepaliveLifetimeMs !== undefined ? keepAliveForLifetime(connection.keepaliveLifetimeMs) : {}),
        // A broker restarted mid-run gets its share back within a second of listening.
        reconnect: FAST_RECONNECT_POLICY,
        app: { name: appName, uuid: `${appName}-${process.pid}-${Math.random().toString(36).slice(2, 10)}` },
        ...(connection.token ? { token: connection.token } : {}),
        tls: connection.tls,
      },
      (peer) => new LeanRequester<T>(peer, observer),
      {
        onUp: (link) => this.onUp(link),
        onDown: (link) => this.onDown(link),
      },
    );
  }

  get size(): number {
    return this.requesters.length;
  }

  /** Connects to every target; resolves once each was tried and one is up (the others keep trying). */
  async open(): Promise<void> {
    await this.pool.start();
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
  send(c: number, template: RequestTemplate, context: T): number {
    this.isDirty[c] = 1;
    return this.requesters[c]!.send(template, context);
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

  async close(): Promise<void> {
    this.isClosing = true;
    await this.pool.close();
  }

  /** Connection number of a link: its target's first connection plus its slot. */
  private indexOf(link: BrokerLink<LeanRequester<T>>): number {
    const target = this.targetIndexOf(link.member);
    return target < 0 ? -1 : target * this.perTarget + link.slot;
  }

  private targetIndexOf(member: BrokerMember<LeanRequester<T>>): number {
    return this.targets.findIndex((target) => target.port === member.port && target.host === member.host);
  }

  private onUp(link: BrokerLink<LeanRequester<T>>): void {
    const c = this.indexOf(link);
    if (c < 0 || link.connection === undefined) return;
    this.requesters[c] = link.connection;
    if (this.hasBeenUp[c] === 1) this.onEvent({ kind: 'connection-restored', target: this.targetOf[c]!, message: 'reconnected' });
    this.hasBeenUp[c] = 1;
  }

  private onDown(link: BrokerLink<LeanRequester<T>>): void {
    const c = this.indexOf(link);
    if (c < 0) return;
    this.requesters[c] = undefined;
    if (!this.isClosing) this.onEvent({ kind: 'connection-lost', target: this.targetOf[c]!, message: link.lastError?.message ?? 'closed by the broker' });
  }
}

export function describeTargets(targets: readonly LoadTarget[]): string {
  return targets.map((target) => `${target.name} (${formatBrokerAddress(target)})`).join(', ');
}
