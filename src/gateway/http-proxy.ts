import { Pool, type Dispatcher } from 'undici';
import { RSocketRequestError, UsageError } from '../errors.js';
import { encodeCompositeMetadata, encodeDataMimeType, ERROR_CODE, MIME } from '../protocol/index.js';
import { ANY_METHOD, type IncomingRequest, type Reply, type ServiceHandlers } from '../sdk/index.js';
import { META_HEADER_PREFIX } from './http-routes.js';

export interface HttpProxyOptions {
  /** The service key the proxy registers: requests to `service.method` reach it. */
  service: string;
  /** Base URL of the HTTP backend; `service.method` becomes `POST {target}/{method}`. */
  target: string;
  /** Time the backend may take to answer (headers and body). */
  timeoutMs: number;
  /** Keep-alive connections to the backend. */
  connections: number;
}

export interface HttpProxyStats {
  requests: number;
  /** Requests that ended in an RSocket error (HTTP status, refusal, timeout). */
  failures: number;
}

/** The HTTP side of `rsb proxy`: a keep-alive pool to the backend and the handlers that use it. */
export class HttpProxy {
  readonly stats: HttpProxyStats = { requests: 0, failures: 0 };
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly origin: string;

  constructor(private readonly options: HttpProxyOptions) {
    let url: URL;
    try {
      url = new URL(options.target);
    } catch {
      throw new UsageError(`--target ${JSON.stringify(options.target)} is not a URL`, 'Write it like http://127.0.0.1:8081.');
    }
    if (url.protocol !== 'http:') throw new UsageError(`--target ${options.target} must be an http:// URL`);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, { connections: options.connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** Every method of the service, in request-response, fire-and-forget and request-stream. */
  handlers(): ServiceHandlers {
    return {
      [this.options.service]: {
        [ANY_METHOD]: {
          requestResponse: (request) => this.forward(request),
          fireAndForget: async (request) => void (await this.forward(request)),
          requestStream: (request) => this.forwardStream(request),
        },
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** One HTTP exchange; the answer keeps the backend's Content-Type as a per-stream MIME entry. */
  private async forward(request: IncomingRequest): Promise<Reply> {
    const { body, contentType } = await this.exchange(request);
    const data = Buffer.from(await body.arrayBuffer());
    return { data, metadata: contentType ? describeMime(contentType) : null };
  }

  /** An ndjson or event-stream answer becomes one item per line (per event); any other answer is one item. */
  private async *forwardStream(request: IncomingRequest): AsyncGenerator<Reply> {
    const { body, contentType } = await this.exchange(request);
    const isLines = contentType === 'application/x-ndjson' || contentType === 'text/event-stream';
    if (!isLines) {
      yield { data: Buffer.from(await body.arrayBuffer()), metadata: contentType ? describeMime(contentType) : null };
      return;
    }
    let pending = '';
    for await (const chunk of body as AsyncIterable<Buffer>) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const item = contentType === 'text/event-stream' ? line.replace(/^data: ?/, '') : line;
        if (item.trim() !== '' && !/^(event|id|retry):/.test(line)) yield item;
      }
    }
    if (pending.trim() !== '') yield pending;
  }

  private async exchange(request: IncomingRequest): Promise<{ body: Dispatcher.ResponseData['body']; contentType: string | undefined }> {
    this.stats.requests++;
    try {
      return await this.send(request);
    } catch (error) {
      this.stats.failures++;
      throw error;
    }
  }

  private async send(request: IncomingRequest): Promise<{ body: Dispatcher.ResponseData['body']; contentType: string | undefined }> {
    const path = `${this.basePath}/${encodeURIComponent(request.method)}`;
    const headers: Record<string, string> = { 'content-type': request.dataMimeType ?? 'application/octet-stream' };
    for (const [key, value] of Object.entries(request.headers)) headers[`${META_HEADER_PREFIX}${key}`] = value;
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({
        path,
        method: 'POST',
        body: request.data,
        headers,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: request.signal,
      });
    } catch (error) {
      throw this.describeFailure(error, path);
    }
    if (response.statusCode >= 400) {
      const text = (await response.body.text()).slice(0, 200);
      // 429 and 503 say the backend did not take the request: nothing was processed.
      const code = response.statusCode === 429 || response.statusCode === 503 ? ERROR_CODE.REJECTED : ERROR_CODE.APPLICATION_ERROR;
      throw new RSocketRequestError(code, `HTTP ${response.statusCode} from POST ${this.origin}${path}${text ? `: ${text}` : ''}`);
    }
    const contentType = headerValue(response.headers['content-type'])?.split(';')[0]?.trim();
    return { body: response.body, contentType: contentType || undefined };
  }

  private describeFailure(error: unknown, path: string): RSocketRequestError {
    const code = (error as { code?: string }).code;
    const where = `POST ${this.origin}${path}`;
    if (code === 'ECONNREFUSED') return new RSocketRequestError(ERROR_CODE.REJECTED, `${where}: the backend refused the connection`);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new RSocketRequestError(ERROR_CODE.APPLICATION_ERROR, `${where}: no answer from the backend within ${this.options.timeoutMs} ms`);
    }
    return new RSocketRequestError(ERROR_CODE.APPLICATION_ERROR, `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function describeMime(contentType: string): Buffer {
  return encodeCompositeMetadata([{ mimeType: MIME.DATA_MIME_TYPE, content: encodeDataMimeType(contentType) }]);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
