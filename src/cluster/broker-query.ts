import { randomUUID } from 'node:crypto';
import { RSocketRequestError, TimeoutError } from '../errors.js';
import { readWireDataStart } from '../protocol/index.js';
import { LeanRequester, PeerConnection, prepareRequest, type RequestObserver } from '../transport/index.js';

export interface BrokerQueryOptions {
  host: string;
  port: number;
  /** Shown in the broker's log as who connected. */
  appName?: string;
  /** Bearer token for a broker started with --auth jwt. */
  token?: string | undefined;
  timeoutMs?: number;
}

interface PendingQuery {
  chunks: Buffer[];
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

const EMPTY = Buffer.alloc(0);
const DEFAULT_QUERY_TIMEOUT_MS = 2_000;

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
    let requester!: LeanRequester<PendingQuery>;
    await PeerConnection.connect(
      {
        host: options.host,
        port: options.port,
        connectTimeoutMs: timeoutMs,
        app: { name: options.appName ?? 'rsb-cluster', uuid: randomUUID() },
        ...(options.token ? { token: options.token } : {}),
      },
      (peer) => (requester = new LeanRequester(peer, QUERY_OBSERVER)),
    );
    return new BrokerQueryClient(requester, timeoutMs, `${options.host}:${options.port}`);
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
