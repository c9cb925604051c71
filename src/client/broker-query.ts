import { randomUUID } from 'node:crypto';
import { RSocketRequestError, TimeoutError } from '../errors.js';
import { readWireDataStart } from '../protocol/index.js';
import { LeanRequester, prepareRequest, type RequestObserver, type TlsClientOptions } from '../transport/index.js';
import { formatBrokerAddress, type BrokerAddress } from './broker-address.js';
import { createLeanDialer } from './lean-dialer.js';

/** The broker to ask, and how. */
export interface BrokerQueryOptions extends BrokerAddress {
  /** Shown in the broker's log as who connected. */
  appName?: string;
  /** Bearer token for a broker started with --auth jwt. */
  token?: string | undefined;
  /** tcps and wss: what to trust and show. */
  tls?: TlsClientOptions | undefined;
  timeoutMs?: number;
}

interface PendingQuery {
  chunks: Buffer[];
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

const EMPTY = Buffer.alloc(0);
const DEFAULT_QUERY_TIMEOUT_MS = 2_000;
/** A query's answer is all it reads: broker events are not followed. */
const IGNORE_PUSH = (): void => {};

const QUERY_OBSERVER: RequestObserver<PendingQuery> = {
  onNext(query, buf, start, end) {
    // The frame's bytes are reused once this returns: keep a copy.
    query.chunks.push(Buffer.from(buf.subarray(readWireDataStart(buf, start, end), end)));
  },
  onComplete(query) {
    query.resolve(Buffer.concat(query.chunks).toString('utf8'));
  },
  onError(query, code, message) {
    query.reject(new RSocketRequestError(code, message));
  },
};

/**
 * Asks a broker its own routes (`rsb.broker.health`, `rsb.broker.cluster`,
 * `rsb.broker.services`) over one lean connection that can be kept open, so that a live
 * view polling every second does not open a connection per poll.
 */
export class BrokerQueryClient {
  private constructor(
    private readonly requester: LeanRequester<PendingQuery>,
    private readonly timeoutMs: number,
    private readonly where: string,
  ) {}

  static async connect(options: BrokerQueryOptions): Promise<BrokerQueryClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    const dialer = createLeanDialer(
      { connectTimeoutMs: timeoutMs, app: { name: options.appName ?? 'rsb-cluster', uuid: randomUUID() }, ...(options.token ? { token: options.token } : {}), tls: options.tls },
      (peer) => new LeanRequester<PendingQuery>(peer, QUERY_OBSERVER),
    );
    const requester = await dialer.dial(options, IGNORE_PUSH);
    return new BrokerQueryClient(requester, timeoutMs, formatBrokerAddress(options));
  }

  get isConnected(): boolean {
    return this.requester.isConnected;
  }

  /** Request-response on `route`; resolves with the answer parsed as JSON. */
  async query<T>(route: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const text = await new Promise<string>((resolve, reject) => {
      const pending: PendingQuery = { chunks: [], resolve, reject };
      const streamId = this.requester.send(prepareRequest({ route, data: EMPTY }), pending);
      timer = setTimeout(() => {
        this.requester.cancel(streamId);
        reject(new TimeoutError(`${this.where} did not answer ${route} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    }).finally(() => clearTimeout(timer));
    return JSON.parse(text) as T;
  }

  async close(): Promise<void> {
    await this.requester.peer.close();
  }
}

/** One query on a connection of its own. */
export async function queryBroker<T>(options: BrokerQueryOptions, route: string): Promise<T> {
  const client = await BrokerQueryClient.connect(options);
  try {
    return await client.query<T>(route);
  } finally {
    await client.close();
  }
}
