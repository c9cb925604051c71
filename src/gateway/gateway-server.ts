import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyTooLargeError, ListenError, UsageError } from '../errors.js';
import { decodeRequestMetadata, type Message, type RsbClient } from '../sdk/index.js';
import { describeGatewayError } from './http-errors.js';
import {
  chooseGatewayMode,
  collectMetaHeaders,
  encodeQueryAsJson,
  formatNdjsonLine,
  formatSseEvent,
  GATEWAY_MODE,
  MODE_HEADER,
  parseGatewayPath,
  type GatewayMode,
} from './http-routes.js';

export interface GatewayServerOptions {
  host: string;
  port: number;
  /** Request bodies above this are refused with 413. */
  maxBodyBytes: number;
  /** Time a call may take (request-response), or each next item (streams). */
  timeoutMs: number;
  /** Content-Type of answers whose payload names no MIME type of its own. */
  defaultResponseMime: string;
}

export const DEFAULT_GATEWAY_PORT = 8080;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface GatewayStats {
  requests: number;
  /** Answers by HTTP status. */
  byStatus: Record<number, number>;
}

/**
 * The HTTP → RSocket gateway: each HTTP/1.1 request becomes one RSocket request through
 * the brokers (via the SDK, spread over every broker it is connected to), and its answer
 * becomes the HTTP response.
 */
export class GatewayServer {
  readonly stats: GatewayStats = { requests: 0, byStatus: {} };
  private readonly server: Server;
  private boundPort = 0;

  constructor(
    private readonly client: RsbClient,
    private readonly options: GatewayServerOptions,
  ) {
    this.server = createServer((request, response) => void this.handle(request, response));
    // Load generators and proxies keep connections open between requests.
    this.server.keepAliveTimeout = 60_000;
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => {
        const hint = error.code === 'EADDRINUSE' ? 'Another process listens there: pick another --port.' : undefined;
        reject(new ListenError(`cannot listen on ${this.options.host}:${this.options.port}: ${error.code ?? error.message}`, hint, { cause: error }));
      });
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
    return { host: this.options.host, port: this.boundPort };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(request.url ?? '/', 'http://gateway');
    try {
      if (url.pathname === '/healthz') return this.answerHealth(response);
      const { route } = parseGatewayPath(url.pathname);
      const mode = chooseGatewayMode({ accept: request.headers.accept, mode: headerValue(request.headers[MODE_HEADER]) });
      const { data, dataMimeType } = await this.readData(request, url);
      const callOptions = { timeoutMs: this.options.timeoutMs, dataMimeType, headers: collectMetaHeaders(request.headers) };
      switch (mode) {
        case GATEWAY_MODE.REQUEST_RESPONSE:
          return this.answer(response, 200, await this.client.requestResponse(route, data, callOptions));
        case GATEWAY_MODE.FIRE_AND_FORGET:
          await this.client.fireAndForget(route, data, callOptions);
          return this.answerJson(response, 202, { accepted: true, route });
        default:
          return await this.stream(response, route, data, mode, callOptions);
      }
    } catch (error) {
      this.answerError(response, error);
    }
  }

  /** POST/PUT/PATCH: the body with its Content-Type; GET/DELETE: the query as a JSON object. */
  private async readData(request: IncomingMessage, url: URL): Promise<{ data: Buffer; dataMimeType: string | undefined }> {
    const method = request.method ?? 'GET';
    if (method === 'GET' || method === 'DELETE' || method === 'HEAD') {
      request.resume();
      return url.search ? { data: encodeQueryAsJson(url.searchParams), dataMimeType: 'application/json' } : { data: Buffer.alloc(0), dataMimeType: undefined };
    }
    if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') throw new UsageError(`method ${method} is not one the gateway maps: use POST (or GET with a query)`);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > this.options.maxBodyBytes) throw new BodyTooLargeError(this.options.maxBodyBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.options.maxBodyBytes) throw new BodyTooLargeError(this.options.maxBodyBytes);
      chunks.push(chunk);
    }
    const contentType = headerValue(request.headers['content-type'])?.split(';')[0]?.trim();
    return { data: Buffer.concat(chunks, size), dataMimeType: contentType || undefined };
  }

  /** Request-stream: server-sent events or ndjson, one per item, until the stream completes. Closing the HTTP connection cancels it. */
  private async stream(
    response: ServerResponse,
    route: string,
    data: Buffer,
    mode: GatewayMode,
    callOptions: { timeoutMs: number; dataMimeType: string | undefined; headers: Record<string, string> },
  ): Promise<void> {
    const abort = new AbortController();
    response.on('close', () => abort.abort(new Error('the HTTP client went away')));
    const isSse = mode === GATEWAY_MODE.STREAM_SSE;
    let isStarted = false;
    try {
      for await (const item of this.client.requestStream(route, data, { ...callOptions, signal: abort.signal })) {
        if (!isStarted) {
          isStarted = true;
          this.count(200);
          response.writeHead(200, { 'content-type': isSse ? 'text/event-stream' : 'application/x-ndjson', 'cache-control': 'no-cache' });
        }
        response.write(isSse ? formatSseEvent(item.data) : formatNdjsonLine(item.data));
      }
      if (!isStarted) {
        this.count(200);
        response.writeHead(200, { 'content-type': isSse ? 'text/event-stream' : 'application/x-ndjson' });
      }
      response.end();
    } catch (error) {
      if (!isStarted) throw error;
      // Headers are gone: the error travels as the stream's last item.
      const body = Buffer.from(JSON.stringify(describeGatewayError(error)));
      if (!response.destroyed) response.end(isSse ? formatSseEvent(body, 'error') : formatNdjsonLine(body));
    }
  }

  private answerHealth(response: ServerResponse): void {
    const connected = this.client.connectedBrokers;
    const brokers = this.client.brokers.map((broker) => ({ broker: broker.name, isConnected: broker.isUp }));
    this.answerJson(response, connected.length > 0 ? 200 : 503, { status: connected.length > 0 ? 'ok' : 'no broker connected', brokers });
  }

  private answer(response: ServerResponse, status: number, message: Message): void {
    this.count(status);
    response.writeHead(status, { 'content-type': responseMime(message) ?? this.options.defaultResponseMime, 'content-length': message.data.length });
    response.end(message.data);
  }

  private answerJson(response: ServerResponse, status: number, body: unknown): void {
    const bytes = Buffer.from(JSON.stringify(body));
    this.count(status);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
    response.end(bytes);
  }

  private answerError(response: ServerResponse, error: unknown): void {
    const body = describeGatewayError(error);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    // A body left unread (413) would otherwise be parsed as the next request.
    if (body.error.status === 413) response.setHeader('connection', 'close');
    this.answerJson(response, body.error.status, body);
  }

  private count(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The answer's own per-stream MIME type, when its payload carries composite metadata naming one. */
function responseMime(message: Message): string | undefined {
  if (!message.metadata) return undefined;
  try {
    return decodeRequestMetadata(message.metadata).dataMimeType;
  } catch {
    // Metadata that is not composite says nothing about the data's type.
    return undefined;
  }
}
