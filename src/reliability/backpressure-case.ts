import { connect, type Socket } from 'node:net';
import { createSetupFrame, encodeCompositeMetadata, encodeFrame, encodeRoutingTags, FRAME_LENGTH_SIZE, FRAME_TYPE, MIME, writeWireStreamId } from '../protocol/index.js';
import { ResponderConnection } from '../transport/index.js';
import { BrokerProcess } from './broker-process.js';
import type { CaseResult } from './case-result.js';

export interface BackpressureOptions {
  /** Bytes of request data the client pushes in all. */
  totalBytes: number;
  payloadBytes?: number;
  /** How long the service stops reading while the client pushes. */
  stallMs?: number;
  /** The broker's resident memory must stay under this. */
  rssBoundBytes: number;
}

/**
 * A client pushes `totalBytes` of fire-and-forget requests at a service that has stopped
 * reading. The broker must stop reading the client instead of buffering (its memory stays
 * under the bound), and everything must arrive once the service reads again.
 */
export async function runBackpressureCase(options: BackpressureOptions): Promise<CaseResult> {
  const payloadBytes = options.payloadBytes ?? 64 * 1024;
  const requests = Math.ceil(options.totalBytes / payloadBytes);
  const broker = await BrokerProcess.start(['--id', 'backpressure']);
  let received = 0;
  let pusher: Socket | undefined;
  let service: ResponderConnection | undefined;
  try {
    service = await ResponderConnection.connect(
      { host: '127.0.0.1', port: broker.port, services: [{ service: 'sink', group: '', version: '' }] },
      { handle: (stream) => (received++, stream.finish()) },
    );
    service.peer.connection.socket.pause();

    pusher = await openPusher(broker.port);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, broker.memory().rssBytes)), 50);
    const pushed = pushRequests(pusher, requests, payloadBytes);
    await new Promise((resolve) => setTimeout(resolve, options.stallMs ?? 3_000));
    const stalledRss = broker.memory().rssBytes;
    const receivedWhileStalled = received;
    service.peer.connection.socket.resume();
    await pushed;
    const deadline = Date.now() + 120_000;
    while (received < requests && Date.now() < deadline && broker.isRunning) await new Promise((resolve) => setTimeout(resolve, 20));
    clearInterval(sampler);
    const memory = broker.memory();
    peakRss = Math.max(peakRss, memory.rssBytes);
    return {
      name: 'backpressure',
      claim: `${gib(options.totalBytes)} GiB pushed at a service that stopped reading: broker memory bounded, traffic resumes`,
      connections: 2,
      requestsSent: requests,
      answered: received,
      errored: 0,
      unanswered: requests - received,
      brokerRestarts: 0,
      peakBrokerRssBytes: peakRss,
      isPassed: received === requests && peakRss < options.rssBoundBytes && broker.isRunning,
      notes: [
        `broker RSS while stalled ${mib(stalledRss)} MiB, peak ${mib(peakRss)} MiB (bound ${mib(options.rssBoundBytes)} MiB); ` +
          `${receivedWhileStalled} of ${requests} requests had reached the service before it read again`,
      ],
    };
  } finally {
    pusher?.destroy();
    await service?.peer.close();
    await broker.stop();
  }
}

async function openPusher(port: number): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect({ host: '127.0.0.1', port }, () => resolve(opened));
    opened.once('error', reject);
  });
  socket.write(encodeFrame(createSetupFrame({ app: { name: 'pusher', uuid: 'pusher-1' } })));
  return socket;
}

/** Writes fire-and-forget frames as fast as the socket takes them, waiting for 'drain' when it is full. */
async function pushRequests(socket: Socket, count: number, payloadBytes: number): Promise<void> {
  const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['sink.take']) }]);
  const template = encodeFrame({ type: FRAME_TYPE.REQUEST_FNF, streamId: 1, flags: 0, metadata, data: Buffer.alloc(payloadBytes, 0x5a) });
  for (let i = 0; i < count; i++) {
    const frame = Buffer.from(template);
    // The frame starts after its TCP length prefix.
    writeWireStreamId(frame, FRAME_LENGTH_SIZE, ((2 * i) % 0x7ffffffe) + 1);
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(bytes % 2 ** 30 === 0 ? 0 : 2);
}
