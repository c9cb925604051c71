import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeFrameBody, FLAG, FRAME_LENGTH_SIZE, FRAME_TYPE, type Frame } from '../../src/protocol/index.js';
import { FramedConnection } from '../../src/transport/index.js';
import { LARGE_FRAME_BYTES } from '../../src/transport/outbound-buffer.js';

function payload(streamId: number, text: string): Frame {
  return { type: FRAME_TYPE.PAYLOAD, streamId, flags: FLAG.NEXT, metadata: null, data: Buffer.from(text) };
}

/** A TCP connection on 127.0.0.1: a FramedConnection on the client side sends, the server side collects every frame it reads, decoded. */
async function openPair(): Promise<{ sender: FramedConnection; received: Frame[]; until: (count: number) => Promise<void>; close: () => void }> {
  const received: Frame[] = [];
  let accepted!: Socket;
  const server: Server = createServer((socket) => (accepted = socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  while (accepted === undefined) await new Promise((resolve) => setImmediate(resolve));
  const ignore = { onFrame() {}, onProtocolError() {}, onClose() {} };
  const sender = new FramedConnection(socket, ignore);
  const reader = new FramedConnection(accepted, { ...ignore, onFrame: (buf: Buffer, start: number, end: number) => void received.push(decodeFrame(Buffer.from(buf.subarray(start, end)))) });
  const until = async (count: number): Promise<void> => {
    for (let i = 0; i < 500 && received.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return {
    sender,
    received,
    until,
    close: () => {
      sender.destroy();
      reader.destroy();
      server.close();
    },
  };
}

/** Frames laid side by side as they arrive on TCP, each span from its first header byte (after its length prefix). */
function chunkOf(frames: Frame[]): { chunk: Buffer; spans: { start: number; end: number }[] } {
  const encoded = frames.map(encodeFrame);
  const chunk = Buffer.concat(encoded);
  let at = 0;
  const spans = encoded.map((frame) => {
    const span = { start: at + FRAME_LENGTH_SIZE, end: at + frame.length };
    at += frame.length;
    return span;
  });
  return { chunk, spans };
}

describe('forwarding frames onto a TCP connection', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('sends frames that lay side by side in one chunk, and others between them, intact and in order, under their new stream ids', async () => {
    const pair = await openPair();
    close = pair.close;
    const { chunk, spans } = chunkOf([payload(1, 'one'), payload(3, 'two'), payload(5, 'three'), payload(7, 'four')]);
    pair.sender.forwardFrame(chunk, spans[0]!.start, spans[0]!.end, 2);
    pair.sender.forwardFrame(chunk, spans[1]!.start, spans[1]!.end, 4);
    pair.sender.sendEncoded(encodeFrameBody(payload(100, 'between')));
    pair.sender.forwardFrame(chunk, spans[2]!.start, spans[2]!.end, 6);
    // Not next to the one before it in the chunk: a run of its own.
    pair.sender.forwardFrame(chunk, spans[3]!.start, spans[3]!.end, 8);
    pair.sender.sendPayload(102, FLAG.NEXT, null, Buffer.from('last'));
    await pair.until(6);
    expect(pair.received.map((frame) => [frame.streamId, (frame as { data: Buffer }).data.toString()])).toEqual([
      [2, 'one'],
      [4, 'two'],
      [100, 'between'],
      [6, 'three'],
      [8, 'four'],
      [102, 'last'],
    ]);
  });

  it('gives a frame with no length prefix before it (a WebSocket message) a prefix of its own', async () => {
    const pair = await openPair();
    close = pair.close;
    const message = encodeFrameBody(payload(9, 'from a WebSocket'));
    pair.sender.forwardFrame(message, 0, message.length, 10);
    const { chunk, spans } = chunkOf([payload(11, 'from TCP')]);
    pair.sender.forwardFrame(chunk, spans[0]!.start, spans[0]!.end, 12);
    await pair.until(2);
    expect(pair.received.map((frame) => [frame.streamId, (frame as { data: Buffer }).data.toString()])).toEqual([
      [10, 'from a WebSocket'],
      [12, 'from TCP'],
    ]);
  });

  it('sends a run past the size queued by reference, frames of it intact', async () => {
    const pair = await openPair();
    close = pair.close;
    const big = 'x'.repeat(LARGE_FRAME_BYTES);
    const { chunk, spans } = chunkOf([payload(1, 'small'), payload(3, big), payload(5, 'after')]);
    spans.forEach((span, i) => pair.sender.forwardFrame(chunk, span.start, span.end, 20 + 2 * i));
    await pair.until(3);
    expect(pair.received.map((frame) => [frame.streamId, (frame as { data: Buffer }).data.length])).toEqual([
      [20, 5],
      [22, LARGE_FRAME_BYTES],
      [24, 5],
    ]);
  });
});
