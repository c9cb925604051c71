import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { ConnectError, SetupRejectedError } from '../errors.js';
import {
  encodeFrame,
  FLAG,
  FRAME_TYPE,
  FrameSplitter,
  readWireErrorCode,
  readWireFlags,
  readWireFrameType,
  readWireStreamId,
  WIRE_OFFSET,
  type FrameSink,
} from '../protocol/index.js';

export const FRAME_DIRECTION = { SENT: 'sent', RECEIVED: 'received' } as const;
export type FrameDirection = (typeof FRAME_DIRECTION)[keyof typeof FRAME_DIRECTION];

/** Sees every frame of a connection, from its header: without the TCP length prefix (`rsb call --debug`). */
export type FrameListener = (direction: FrameDirection, frame: Buffer) => void;

/**
 * Opens the socket rsocket-js runs on. With a listener, every frame written and read is
 * reported: rsocket-js writes one whole frame per `write`, and what arrives is split
 * with the project's own splitter, so the listener sees frames, never chunks.
 */
export function openTappedSocket(options: NetConnectOpts, listener: FrameListener | undefined): Socket {
  const socket = netConnect(options);
  if (!listener) return socket;
  const received = new FrameSplitter();
  const receivedSink: FrameSink = { onFrame: (buf, start, end) => listener(FRAME_DIRECTION.RECEIVED, buf.subarray(start, end)) };
  socket.on('data', (chunk: Buffer) => received.push(chunk, receivedSink));
  const sent = new FrameSplitter();
  const sentSink: FrameSink = { onFrame: (buf, start, end) => listener(FRAME_DIRECTION.SENT, buf.subarray(start, end)) };
  const write = socket.write;
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    if (Buffer.isBuffer(chunk)) sent.push(chunk, sentSink);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket['write'];
  return socket;
}

const PROBE_DATA = Buffer.from('rsb-sdk-setup-probe');

/**
 * rsocket-js resolves `connect()` as soon as SETUP is written, before the broker has
 * said anything. A KEEPALIVE asking for an answer, sent right behind SETUP, tells the
 * two outcomes apart: its answer means the SETUP was accepted (and the services are
 * registered), an ERROR on stream 0 means it was refused. rsocket-js handles the answer
 * itself as an ordinary keepalive acknowledgement.
 */
export function confirmSetup(socket: Socket, where: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const splitter = new FrameSplitter();
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const sink: FrameSink = {
      onFrame(buf, start, end) {
        if (readWireStreamId(buf, start) !== 0) return;
        const type = readWireFrameType(buf, start);
        if (type === FRAME_TYPE.KEEPALIVE && (readWireFlags(buf, start) & FLAG.RESPOND) === 0) finish();
        else if (type === FRAME_TYPE.ERROR) {
          finish(new SetupRejectedError(readWireErrorCode(buf, start, end), buf.toString('utf8', start + WIRE_OFFSET.BODY + 4, end)));
        }
      },
    };
    const onData = (chunk: Buffer): void => {
      try {
        splitter.push(chunk, sink);
      } catch (error) {
        finish(new ConnectError(`${where} answered SETUP with bytes that are not RSocket frames`, 'Is it an RSocket server on TCP?', { cause: error }));
      }
    };
    const onClose = (): void => finish(new ConnectError(`${where} closed the connection before accepting SETUP`));
    const timer = setTimeout(
      () => finish(new ConnectError(`${where} did not answer SETUP within ${timeoutMs} ms`, 'Is it an RSocket broker on TCP?')),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(encodeFrame({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: PROBE_DATA }));
  });
}
