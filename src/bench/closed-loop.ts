import hdr from 'hdr-histogram-js';
import type { Transport } from '../protocol/index.js';
import { LeanRequester, PeerConnection, prepareRequest } from '../transport/index.js';

export interface ClosedLoopOptions {
  host: string;
  port: number;
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

const PHASE = { WARMUP: 0, MEASURE: 1, DRAIN: 2 } as const;

/**
 * Keeps `inFlight` request-response calls outstanding on one connection for a fixed
 * time and measures throughput and latency. Each answer sends the next request.
 */
export async function measureClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const template = prepareRequest({ route: options.route, data: Buffer.alloc(options.payloadBytes, 0x61) });
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
  let phase: number = PHASE.WARMUP;
  let requests = 0;
  let errors = 0;
  let lastError = '';
  const requester = new LeanRequester<number>(peer, {
    onComplete(sentAt) {
      const now = performance.now();
      if (phase === PHASE.MEASURE) {
        requests++;
        histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
      }
      if (phase !== PHASE.DRAIN) requester.send(template, now);
    },
    onError(_sentAt, code, message) {
      errors++;
      lastError = `0x${code.toString(16)} ${message}`;
      if (phase !== PHASE.DRAIN && requester.isConnected) requester.send(template, performance.now());
    },
  });
  for (let i = 0; i < options.inFlight; i++) requester.send(template, performance.now());
  await sleep(options.warmupMs);
  phase = PHASE.MEASURE;
  const startedAt = performance.now();
  await sleep(options.durationMs);
  phase = PHASE.DRAIN;
  const seconds = (performance.now() - startedAt) / 1000;
  await waitUntil(() => requester.inFlight === 0, 2_000);
  await peer.close();
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}
