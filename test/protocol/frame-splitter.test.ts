import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeFrameBody, FRAME_TYPE, FrameSplitter, PROTOCOL_ERROR_CODE, ProtocolError, type Frame } from '../../src/protocol/index.js';
import { arbitraryFrame } from '../support/frame-arbitraries.js';

/** Feeds chunks to a splitter and returns each frame it reported (from its header, without the length prefix), as a copy of its bytes. */
function split(chunks: Buffer[], splitter = new FrameSplitter()): Buffer[] {
  const frames: Buffer[] = [];
  for (const chunk of chunks) {
    splitter.push(chunk, { onFrame: (buf, start, end) => frames.push(Buffer.from(buf.subarray(start, end))) });
  }
  return frames;
}

function cutAt(stream: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of sorted) {
    chunks.push(stream.subarray(from, point));
    from = point;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

const SAMPLE: Frame[] = [
  { type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: Buffer.from('route'), data: Buffer.from('hello') },
  { type: FRAME_TYPE.CANCEL, streamId: 3, flags: 0 },
  { type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: 0x60, metadata: null, data: Buffer.alloc(300, 7) },
  { type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: 0x80, lastReceivedPosition: 5n, data: Buffer.alloc(0) },
];

describe('frame splitter', () => {
  const wire = SAMPLE.map(encodeFrame);
  const stream = Buffer.concat(wire);
  const bodies = SAMPLE.map(encodeFrameBody);

  it('reports every frame of a multi-frame stream cut at any single point', () => {
    for (let point = 0; point <= stream.length; point++) {
      expect(split(cutAt(stream, [point]))).toEqual(bodies);
    }
  });

  it('reports every frame of a stream fed one byte at a time', () => {
    const bytes = [...stream].map((byte) => Buffer.of(byte));
    expect(split(bytes)).toEqual(bodies);
  });

  it('reports frames inside one chunk as views into that chunk, without copying', () => {
    const views: Buffer[] = [];
    new FrameSplitter().push(stream, { onFrame: (buf) => views.push(buf) });
    expect(views.every((view) => view === stream)).toBe(true);
  });

  it('copies a frame that straddles two chunks into a buffer of its exact size', () => {
    const seen: { buf: Buffer; start: number; end: number }[] = [];
    const splitter = new FrameSplitter();
    const first = wire[0]!;
    splitter.push(first.subarray(0, 5), { onFrame: (buf, start, end) => seen.push({ buf, start, end }) });
    expect(splitter.hasPartialFrame).toBe(true);
    splitter.push(first.subarray(5), { onFrame: (buf, start, end) => seen.push({ buf, start, end }) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buf.length).toBe(first.length);
    expect(seen[0]!.buf.subarray(seen[0]!.start, seen[0]!.end)).toEqual(bodies[0]);
    expect(splitter.hasPartialFrame).toBe(false);
  });

  it('reassembles any stream of frames cut at any set of points', () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat()), (frames, rawPoints) => {
        const whole = Buffer.concat(frames.map(encodeFrame));
        expect(split(cutAt(whole, rawPoints.map((p) => p % (whole.length + 1))))).toEqual(frames.map(encodeFrameBody));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a length below the 6-byte header with a typed error', () => {
    expect(() => split([Buffer.from('000005000000000000', 'hex')])).toThrowError(
      expect.objectContaining({ code: PROTOCOL_ERROR_CODE.FRAME_TOO_SHORT }),
    );
  });

  it('rejects a length above its limit as soon as the prefix is complete', () => {
    const splitter = new FrameSplitter(1024);
    split([Buffer.from('00', 'hex')], splitter);
    let caught: unknown;
    try {
      split([Buffer.from('0401', 'hex')], splitter);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(PROTOCOL_ERROR_CODE.FRAME_TOO_LONG);
  });
});
