import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { ConnectError, SetupRejectedError } from '../errors.js';
import {
  encodeFrameBody,
  FLAG,
  FRAME_LENGTH_SIZE,
  FRAME_TYPE,
  FrameSplitter,
  readWireErrorCode,
  readWireFlags,
  readWireFrameType,
  readWireStreamId,
  writeU24,
  WIRE_OFFSET,
  type FrameSink,
} from '../protocol/index.js';

export const FRAME_DIRECTION = { SENT: 'sent', RECEIVED: 'received' } as const;
export type FrameDirection = (typeof FRAME_DIRECTION)[keyof typeof FRAME_DIRECTION];

/** Sees every frame of a connection, from its header: without the TCP length prefix (`rsb call --debug`). */
export type FrameListener = (direction: FrameDirection, frame: Buffer) => void;

/**
 * The connection rsocket-js runs on, as rsb's own checks see it: frames out and in,
 * whatever the transport (a TCP or TLS socket, a WebSocket).
 */
export interface FrameChannel {
  /** Sends one frame (without a length prefix) beside rsocket-js's own. */
  send(frame: Buffer): void;
  /** Hears every frame received, a byte stream it cannot read, and the close; returns how to stop listening. */
  listen(onFrame: FrameSink['onFrame'], onBroken: (error: unknown) => void, onClose: () => void): () => void;
  readonly isClosed: boolean;
  /** Drops the connection now. */
  destroy(): void;
}

/**
 * A TCP or TLS socket as a frame channel. With a listener, every frame written and read
 * is reported: rsocket-js writes one whole frame per `write`, and what arrives is split
 * with the project's own splitter, so the listener sees frames, never chunks.
 */
export function openSocketChannel(socket: Socket, listener: FrameListener | undefined): FrameChannel {
  if (listener) tapSocket(socket, listener);
  return {
    send(frame) {
      const prefixed = Buffer.allocUnsafe(FRAME_LENGTH_SIZE + frame.length);
      writeU24(prefixed, 0, frame.length);
      frame.copy(prefixed, FRAME_LENGTH_SIZE);
      socket.write(prefixed);
    },
    listen(onFrame, onBroken, onClose) {
      const splitter = new FrameSplitter();
      const sink: FrameSink = { onFrame };
      const onData = (chunk: Buffer): void => {
        try {
          splitter.push(chunk, sink);
        } catch (error) {
          onBroken(error);
        }
      };
      socket.on('data', onData);
      socket.once('close', onClose);
      return () => {
        socket.off('data', onData);
        socket.off('close', onClose);
      };
    },
    get isClosed() {
      return socket.destroyed;
    },
    destroy: () => socket.destroy(),
  };
}

function tapSocket(socket: Socket, listener: FrameListener): void {
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
}

const WS_CLOSED = 3;

/** A WebSocket (one frame per message) as a frame channel; with a listener, every message both ways is reported. */
export function openWebSocketChannel(websocket: WebSocket, listener: FrameListener | undefined): FrameChannel {
  if (listener) {
    websocket.on('message', (message: Buffer | ArrayBuffer) => listener(FRAME_DIRECTION.RECEIVED, toBuffer(message)));
    const send = websocket.send;
    websocket.send = function (this: WebSocket, data: unknown, ...rest: unknown[]): void {
      if (Buffer.isBuffer(data) || data instanceof Uint8Array) listener(FRAME_DIRECTION.SENT, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      (send as (...args: unknown[]) => void).call(this, data, ...rest);
    } as WebSocket['send'];
  }
  return {
    send: (frame) => websocket.send(frame),
    listen(onFrame, _onBroken, onClose) {
      const onMessage = (message: Buffer | ArrayBuffer): void => {
        const frame = toBuffer(message);
        onFrame(frame, 0, frame.length);
      };
      websocket.on('message', onMessage);
      websocket.once('close', onClose);
      return () => {
        websocket.off('message', onMessage);
        websocket.off('close', onClose);
      };
    },
    get isClosed() {
      return websocket.readyState === WS_CLOSED;
    },
    destroy: () => websocket.terminate(),
  };
}

/** rsocket-js sets `binaryType = "arraybuffer"` on its WebSocket: messages come as ArrayBuffers then. */
function toBuffer(message: Buffer | ArrayBuffer): Buffer {
  return Buffer.isBuffer(message) ? message : Buffer.from(message);
}

const PROBE_DATA = Buffer.from('rsb-sdk-setup-probe');

/**
 * rsocket-js resolves `connect()` as soon as SETUP is written, before the broker has
 * said anything. A KEEPALIVE asking for an answer, sent right behind SETUP, tells the
 * two outcomes apart: its answer means the SETUP was accepted (and the services are
 * registered), an ERROR on stream 0 means it was refused. rsocket-js handles the answer
 * itself as an ordinary keepalive acknowledgement.
 */
export function confirmSetup(channel: FrameChannel, where: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stopListening();
      if (error) reject(error);
      else resolve();
    };
    const stopListening = channel.listen(
      (buf, start, end) => {
        if (readWireStreamId(buf, start) !== 0) return;
        const type = readWireFrameType(buf, start);
        if (type === FRAME_TYPE.KEEPALIVE && (readWireFlags(buf, start) & FLAG.RESPOND) === 0) finish();
        else if (type === FRAME_TYPE.ERROR) {
          finish(new SetupRejectedError(readWireErrorCode(buf, start, end), buf.toString('utf8', start + WIRE_OFFSET.BODY + 4, end)));
        }
      },
      (error) => finish(new ConnectError(`${where} answered SETUP with bytes that are not RSocket frames`, 'Is it an RSocket server on that transport?', { cause: error })),
      () => finish(new ConnectError(`${where} closed the connection before accepting SETUP`, 'Is it an RSocket broker on that transport? A TLS or WebSocket listener needs its tcps://, wss:// or ws:// URI.')),
    );
    const timer = setTimeout(
      () => finish(new ConnectError(`${where} did not answer SETUP within ${timeoutMs} ms`, 'Is it an RSocket broker on that transport?')),
      timeoutMs,
    );
    channel.send(encodeFrameBody({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: PROBE_DATA }));
  });
}
