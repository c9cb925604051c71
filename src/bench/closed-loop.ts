import hdr from 'hdr-histogram-js';
import type { Transport } from '../protocol/index.js';
import { LeanRequester, PeerConnection, prepareRequest, type RequestObserver } from '../transport/index.js';
import { NATS_ECHO_SUBJECT, NatsConnection, NatsRequester } from './nats-connection.js';

/** How the requester reaches the echo service: RSocket (rsb's broker, the reference broker, direct) or NATS. */
export const WIRE_PROTOCOL = { RSOCKET: 'rsocket', NATS: 'nats' } as const;
export type WireProtocol = (typeof WIRE_PROTOCOL)[keyof typeof WIRE_PROTOCOL];

export interface ClosedLoopOptions {
  host: string;
  port: number;
  /** rsocket when absent. */
  protocol?: WireProtocol;
  /** tcps or ws (and its path): the requester's transport; absent: TCP. */
  transport?: Transport;
  path?: string;
  /** PEM of the CA to trust on tcps. */
  tlsCa?: string;
  route: string;
  payloadBytes: number;
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  /** Pause after SETUP for rsocket-js servers (see PeerConnectOptions.settleMs). */
  settleMs?: number;
}

export interface ClosedLoopResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency percentiles in microseconds, send to answer. */
  p50Us: number;
  p99Us: number;
  p999Us: number;
}

/** One pipelined requester of either protocol, as the closed loop drives it: the context of a request is its send time. */
interface LoopRequester {
  send(sentAt: number): void;
  readonly inFlight: number;
  readonly isConnected: boolean;
  close(): Promise<void>;
}

const PHASE = { WARMUP: 0, MEASURE: 1, DRAIN: 2 } as const;

/**
 * Keeps `inFlight` request-response calls outstanding on one connection for a fixed
 * time and measures throughput and latency. Each answer sends the next request.
 */
export async function measureClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let phase: number = PHASE.WARMUP;
  let requests = 0;
  let errors = 0;
  let lastError = '';
  // Set once connected: the observer is handed to the requester it then drives.
  let requester!: LoopRequester;
  const observer: RequestObserver<number> = {
    onComplete(sentAt) {
      const now = performance.now();
      if (phase === PHASE.MEASURE) {
        requests++;
        histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
      }
      if (phase !== PHASE.DRAIN) requester.send(now);
    },
    onError(_sentAt, code, message) {
      errors++;
      lastError = `0x${code.toString(16)} ${message}`;
      if (phase !== PHASE.DRAIN && requester.isConnected) requester.send(performance.now());
    },
  };
  requester = await connectRequester(options, observer);
  for (let i = 0; i < options.inFlight; i++) requester.send(performance.now());
  await sleep(options.warmupMs);
  phase = PHASE.MEASURE;
  const startedAt = performance.now();
  await sleep(options.durationMs);
  phase = PHASE.DRAIN;
  const seconds = (performance.now() - startedAt) / 1000;
  await waitUntil(() => requester.inFlight === 0, 2_000);
  await requester.close();
  if (errors > 0 && requests === 0) throw new Error(`every request failed, last with ${lastError}`);
  return {
    requests,
    errors,
    seconds,
    requestsPerSecond: requests / seconds,
    p50Us: histogram.getValueAtPercentile(50),
    p99Us: histogram.getValueAtPercentile(99),
    p999Us: histogram.getValueAtPercentile(99.9),
  };
}

async function connectRequester(options: ClosedLoopOptions, observer: RequestObserver<number>): Promise<LoopRequester> {
  const payload = Buffer.alloc(options.payloadBytes, 0x61);
  if (options.protocol === WIRE_PROTOCOL.NATS) {
    const connection = await NatsConnection.connect(options.host, options.port, 'rsb-bench-requester');
    const nats = new NatsRequester<number>(connection, NATS_ECHO_SUBJECT, payload, observer);
    return { send: (sentAt) => void nats.send(sentAt), get inFlight() { return nats.inFlight; }, get isConnected() { return nats.isConnected; }, close: () => connection.close() };
  }
  const template = prepareRequest({ route: options.route, data: payload });
  const peer = await PeerConnection.connect(
    {
      host: options.host,
      port: options.port,
      transport: options.transport,
      path: options.path,
      ...(options.tlsCa ? { tls: { ca: Buffer.from(options.tlsCa) } } : {}),
      app: { name: 'rsb-bench-requester', uuid: `bench-${process.pid}` },
      settleMs: options.settleMs,
    },
    { onStreamFrame() {}, onConnectionLost() {} },
  );
  const lean = new LeanRequester<number>(peer, observer);
  return { send: (sentAt) => void lean.send(template, sentAt), get inFlight() { return lean.inFlight; }, get isConnected() { return lean.isConnected; }, close: () => peer.close() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}
