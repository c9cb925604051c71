import type { TlsClientOptions } from '../transport/index.js';
import { performance } from 'node:perf_hooks';
import type { BrokerSource } from '../client/index.js';
import { connect, type FrameListener, type Message, type RsbClient } from '../sdk/index.js';
import { INTERACTION, type Interaction } from '../transport/index.js';
import { splitChannelItems } from './call-data.js';

export interface CallRequest {
  route: string;
  mode: Interaction;
  data: Buffer;
  brokers: BrokerSource[];
  /** Instead of `brokers`: every broker of this cluster (`rsb cluster up`), from its state file in `stateDir`. */
  cluster?: string | undefined;
  stateDir?: string | undefined;
  /** Streams and channels: cancel after this many items. */
  take?: number | undefined;
  headers?: Record<string, string> | undefined;
  dataMimeType?: string | undefined;
  /** Request-response: the answer; streams and channels: each next item. */
  timeoutMs: number;
  token?: string | undefined;
  /** tcps and wss brokers: what to trust and show (resolveBrokerTls). */
  tls?: TlsClientOptions | undefined;
  /** Each response as it arrives (streams print as they go). */
  onResponse?: ((message: Message) => void) | undefined;
  /** Every frame sent and received (`--debug`). */
  onFrame?: FrameListener | undefined;
}

export interface CallResponse {
  /** The data as UTF-8 text, or base64 when it is not valid UTF-8 (see `encoding`). */
  data: string;
  encoding: 'utf8' | 'base64';
  /** Payload metadata, base64, when the responder sent any. */
  metadata?: string;
}

export interface CallResult {
  route: string;
  mode: Interaction;
  broker: string;
  responses: CallResponse[];
  timing: {
    /** TCP connect, SETUP and its acceptance. */
    connectMs: number;
    /** From sending the request to the first response; null when none came. */
    firstResponseMs: number | null;
    /** From sending the request to its end. */
    totalMs: number;
  };
}

/**
 * The one call behind `rsb call`: connects through the SDK (rsocket-js), sends one
 * request in the mode asked, collects what comes back and times it. Throws the SDK's
 * typed errors: RSocketRequestError (an ERROR frame), TimeoutError, ConnectError or
 * SetupRejectedError (no connection).
 */
const CONNECT_TIMEOUT_MS = 5_000;

export async function runCall(request: CallRequest): Promise<CallResult> {
  const connectStarted = performance.now();
  const client = await connect({
    ...(request.cluster !== undefined ? { cluster: request.cluster, stateDir: request.stateDir } : { brokers: request.brokers }),
    app: 'rsb-call',
    token: request.token,
    ...(request.tls ? { tls: request.tls } : {}),
    dataMimeType: request.dataMimeType,
    timeoutMs: request.timeoutMs,
    // --timeout is the answer's time: a slow connect on a busy machine must not turn into a timeout (exit 6 vs 7).
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    reconnect: false,
    onFrame: request.onFrame,
  });
  const connectMs = performance.now() - connectStarted;
  // The first request goes to the first broker connected (round-robin starts there).
  const broker = client.connectedBrokers[0] ?? client.brokers[0]!.name;
  const responses: CallResponse[] = [];
  const started = performance.now();
  let firstResponseMs: number | null = null;
  const receive = (message: Message): void => {
    firstResponseMs ??= performance.now() - started;
    responses.push(describeResponse(message));
    request.onResponse?.(message);
  };
  try {
    await send(client, request, receive);
  } finally {
    await client.close();
  }
  return {
    route: request.route,
    mode: request.mode,
    broker,
    responses,
    timing: { connectMs: round(connectMs), firstResponseMs: firstResponseMs === null ? null : round(firstResponseMs), totalMs: round(performance.now() - started) },
  };
}

async function send(client: RsbClient, request: CallRequest, receive: (message: Message) => void): Promise<void> {
  const options = { headers: request.headers, dataMimeType: request.dataMimeType, timeoutMs: request.timeoutMs, take: request.take };
  switch (request.mode) {
    case INTERACTION.REQUEST_RESPONSE:
      receive(await client.requestResponse(request.route, request.data, options));
      return;
    case INTERACTION.FIRE_AND_FORGET:
      await client.fireAndForget(request.route, request.data, options);
      return;
    case INTERACTION.REQUEST_STREAM:
      for await (const message of client.requestStream(request.route, request.data, options)) receive(message);
      return;
    case INTERACTION.REQUEST_CHANNEL:
      for await (const message of client.requestChannel(request.route, splitChannelItems(request.data), options)) receive(message);
      return;
  }
}

function describeResponse(message: Message): CallResponse {
  const text = message.data.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(message.data);
  return {
    data: isText ? text : message.data.toString('base64'),
    encoding: isText ? 'utf8' : 'base64',
    ...(message.metadata && message.metadata.length ? { metadata: message.metadata.toString('base64') } : {}),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

