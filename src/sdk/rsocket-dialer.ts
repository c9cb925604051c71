import type { Socket } from 'node:net';
import { RSocketConnector, type ClientTransport, type RSocket } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { WebsocketClientTransport } from 'rsocket-websocket-client';
import { WebSocket } from 'ws';
import { formatBrokerAddress, type BrokerAddress, type BrokerDialer } from '../client/index.js';
import { ConnectError, RsbError } from '../errors.js';
import { formatTransportUri, isTlsTransport, isWebSocketTransport, MAX_STREAM_ID, TRANSPORT } from '../protocol/index.js';
import { describeDialFailure, openCarrier, toTlsTrustOptions, type TlsClientOptions } from '../transport/index.js';
import { confirmSetup, openSocketChannel, openWebSocketChannel, type FrameChannel, type FrameListener } from './socket.js';

/**
 * rsocket-js hands out stream ids 1, 3, 5... and never wraps: past 2^31-1 a request
 * throws (docs/sdk.md, rsocket-js defect 5). The spec's way out without resumption is a new
 * connection (Protocol.md, "Stream Identifiers"): a connection that has opened this many
 * streams is replaced (BrokerPool.rotate), and closed once its last stream ends. The
 * margin leaves room for the requests sent while the replacement connects.
 */
export const STREAM_ID_BUDGET = (MAX_STREAM_ID - 1) / 2 - 2 ** 20;
export const STREAM_ID_HARD_LIMIT = (MAX_STREAM_ID - 1) / 2;

export interface RSocketDialOptions {
  setup: NonNullable<ConstructorParameters<typeof RSocketConnector>[0]['setup']>;
  /** The handlers rsocket-js calls for requests the broker routes here, and for METADATA_PUSH (given by the pool). */
  createResponder(onMetadataPush: (metadata: Buffer) => void): Partial<RSocket>;
  connectTimeoutMs: number;
  tap: FrameListener | undefined;
  /** tcps and wss: what to trust and show. */
  tls: TlsClientOptions | undefined;
}

/** One rsocket-js connection to a broker, with the bookkeeping the SDK adds to it. */
export class BrokerConnection {
  streamsOpened = 0;
  inFlight = 0;
  isRetiring = false;
  isClosed = false;
  /** Resolves when rsocket-js reports the connection closed (the broker left, or we closed it), with why. */
  readonly lost: Promise<Error | undefined>;
  /** Resolves once the socket is gone. */
  readonly closed: Promise<void>;
  private resolveLost!: (error: Error | undefined) => void;
  private resolveClosed!: () => void;

  constructor(
    readonly rsocket: RSocket,
    readonly channel: FrameChannel,
  ) {
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Counts a request starting on this connection. */
  begin(): void {
    this.streamsOpened++;
    this.inFlight++;
  }

  /** Counts a request ending; a retiring connection closes after its last one. */
  end(): void {
    this.inFlight--;
    if (this.isRetiring && this.inFlight === 0) void this.close();
  }

  /** rsocket-js closed the connection (the peer left, or we closed it). */
  markClosed(error: Error | undefined): void {
    this.isClosed = true;
    this.resolveLost(error);
    this.awaitSocketClose();
  }

  /** Closes the socket (rsocket-js ends it gracefully) and resolves once it is gone. */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.resolveLost(undefined);
      this.rsocket.close();
      this.awaitSocketClose();
    }
    await this.closed;
  }

  private awaitSocketClose(): void {
    if (this.channel.isClosed) {
      this.resolveClosed();
      return;
    }
    this.channel.listen(
      () => {},
      () => {},
      () => this.resolveClosed(),
    );
    // A peer that never closes its side must not hold us.
    setTimeout(() => this.channel.destroy(), 2_000).unref();
  }
}

/** Dials the SDK's rsocket-js connections for BrokerPool: the same pool, reconnects and list following as rsb's lean endpoints. */
export function createRSocketDialer(options: RSocketDialOptions): BrokerDialer<BrokerConnection> {
  return {
    dial: (address, onMetadataPush) => dialBroker(address, options, options.createResponder(onMetadataPush)),
    closed: (connection) => connection.lost,
    close: (connection) => connection.close(),
  };
}

/**
 * Connects rsocket-js to one broker and waits until the broker has accepted the SETUP.
 * TCP and TLS: rsb opens the socket (a TLS one verified as every rsb client verifies it)
 * and hands it to rsocket-js's TCP transport; WebSocket: rsocket-js's WebSocket transport
 * on a `ws` WebSocket.
 */
async function dialBroker(address: BrokerAddress, options: RSocketDialOptions, responder: Partial<RSocket>): Promise<BrokerConnection> {
  const { connectTimeoutMs } = options;
  const name = formatBrokerAddress(address);
  const transport = address.transport ?? TRANSPORT.TCP;
  let channel: FrameChannel | undefined;
  let clientTransport: ClientTransport;
  if (isWebSocketTransport(transport)) {
    clientTransport = new WebsocketClientTransport({
      url: formatTransportUri(address),
      wsCreator: (url) => {
        const websocket = new WebSocket(url, {
          perMessageDeflate: false,
          handshakeTimeout: connectTimeoutMs,
          ...(isTlsTransport(transport) ? toTlsTrustOptions(options.tls) : {}),
        });
        channel = openWebSocketChannel(websocket, options.tap);
        return websocket as unknown as globalThis.WebSocket;
      },
    });
  } else {
    const carrier = await openCarrier(address, { tls: options.tls, connectTimeoutMs });
    const socket = carrier as Socket;
    channel = openSocketChannel(socket, options.tap);
    clientTransport = new TcpClientTransport({
      connectionOptions: { host: address.host, port: address.port },
      // Already connected (and past its TLS handshake): rsocket-js waits for a connect event, so it gets one.
      socketCreator: () => {
        process.nextTick(() => socket.emit('connect'));
        return socket;
      },
    });
  }
  const connector = new RSocketConnector({ setup: options.setup, transport: clientTransport, responder });
  let timer: NodeJS.Timeout | undefined;
  let rsocket: RSocket;
  try {
    rsocket = await Promise.race([
      connector.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ConnectError(`could not connect to ${name} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]);
  } catch (error) {
    channel?.destroy();
    throw error instanceof RsbError ? error : describeDialFailure(name, error as NodeJS.ErrnoException, isTlsTransport(transport));
  } finally {
    clearTimeout(timer);
  }
  const connection = new BrokerConnection(rsocket, channel!);
  rsocket.onClose((error) => connection.markClosed(error));
  try {
    await confirmSetup(channel!, `broker ${name}`, connectTimeoutMs);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}
