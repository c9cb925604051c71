import { PeerConnection, type FramedConnectionOptions, type SetupOptions, type StreamFrameHandler, type TlsClientOptions } from '../transport/index.js';
import type { BrokerAddress } from './broker-address.js';
import { BrokerPool, type BrokerDialer, type BrokerPoolHooks, type BrokerPoolOptions } from './broker-pool.js';

/** What a lean connection says in SETUP and how it is framed and timed. */
export interface LeanDialOptions extends SetupOptions, FramedConnectionOptions {
  connectTimeoutMs?: number | undefined;
  /** tcps and wss brokers: what to trust and show. */
  tls?: TlsClientOptions | undefined;
  /** See PeerConnectOptions.settleMs: for brokers built on rsocket-js. */
  settleMs?: number | undefined;
}

/** The requester or responder a lean connection serves, built on it before its first frame. */
export interface LeanHandler extends StreamFrameHandler {
  readonly peer: PeerConnection;
}

export type LeanPoolOptions = BrokerPoolOptions & LeanDialOptions;

/**
 * Dials rsb's lean PeerConnection. `create` builds the connection's requester or
 * responder around it before any frame arrives: a broker may route a request to a newly
 * registered service before its handshake completes.
 */
export function createLeanDialer<H extends LeanHandler>(options: LeanDialOptions, create: (peer: PeerConnection) => H): BrokerDialer<H> {
  return {
    async dial(address: BrokerAddress, onMetadataPush: (metadata: Buffer) => void): Promise<H> {
      let handler!: H;
      const endpoint = { transport: address.transport, host: address.host, port: address.port, path: address.path };
      await PeerConnection.connect({ ...options, ...endpoint, onMetadataPush }, (peer) => (handler = create(peer)));
      return handler;
    },
    closed: (handler) => handler.peer.closed,
    close: (handler) => handler.peer.close(),
  };
}

/** A pool of lean connections to the brokers, each served by what `create` builds. */
export function createLeanPool<H extends LeanHandler>(options: LeanPoolOptions, create: (peer: PeerConnection) => H, hooks?: BrokerPoolHooks<H>): BrokerPool<H> {
  const { brokers, followBrokerList, connectionsPerBroker, reconnect, onEvent, ...dial } = options;
  return new BrokerPool({ brokers, followBrokerList, connectionsPerBroker, reconnect, onEvent }, createLeanDialer(dial, create), hooks);
}

/** The shortest keepalive interval a lifetime leads to: a connection is not worth more than ten keepalives a second. */
const MIN_KEEPALIVE_MS = 100;

/** A dial gives up within this, however long the lifetime: what `rsb load` allows a broker without one. */
const MAX_CONNECT_TIMEOUT_MS = 3_000;
const MIN_CONNECT_TIMEOUT_MS = 250;

/**
 * The keepalive timing of a client told to find a silent broker within `lifetimeMs`
 * (`--keepalive-lifetime`): a KEEPALIVE every quarter of it, so that a few late ones
 * do not end a live connection, and a dead one is found by the keepalive, not by TCP's
 * own timeouts (minutes, when packets go nowhere). A dial gives up within half of it:
 * to a host cut off, a SYN goes nowhere and TCP would retry it only a second later, so
 * short attempts find a healed host sooner.
 */
export function keepAliveForLifetime(lifetimeMs: number): { keepAliveMs: number; lifetimeMs: number; connectTimeoutMs: number } {
  const connectTimeoutMs = Math.min(MAX_CONNECT_TIMEOUT_MS, Math.max(MIN_CONNECT_TIMEOUT_MS, Math.round(lifetimeMs / 2)));
  return { keepAliveMs: Math.max(MIN_KEEPALIVE_MS, Math.round(lifetimeMs / 4)), lifetimeMs, connectTimeoutMs };
}
