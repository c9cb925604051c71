import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrameBody,
  FLAG,
  FRAME_TYPE,
  FrameHeader,
  METADATA_FORMAT,
  readWireDataStart,
  readWireFlags,
  readWireFrameType,
  readWirePayloadStart,
  readWireRequestN,
  readWireRoute,
  readWireStreamId,
} from '../../src/protocol/index.js';
import { arbitraryFrame } from '../support/frame-arbitraries.js';

/** What `read` returns, or the message of the error it throws: two readers agree when these are equal. */
function outcomeOf(read: () => unknown): unknown {
  try {
    return { value: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('FrameHeader', () => {
  it('reads the same stream id, type, flags, route, data start and request N as the wire readers, for any frame', () => {
    const header = new FrameHeader();
    fc.assert(
      fc.property(arbitraryFrame(), fc.integer({ min: 0, max: 6 }), (frame, cut) => {
        // Cut a few bytes off the end at times, so that the readers' overrun errors are compared too.
        const whole = encodeFrameBody(frame);
        const bytes = whole.subarray(0, Math.max(6, whole.length - cut));
        header.read(bytes, 0, bytes.length);
        expect([header.streamId, header.type, header.flags]).toEqual([readWireStreamId(bytes, 0), readWireFrameType(bytes, 0), readWireFlags(bytes, 0)]);
        expect(header.readPayloadStart()).toBe(readWirePayloadStart(bytes, 0));
        expect(outcomeOf(() => header.readDataStart())).toEqual(outcomeOf(() => readWireDataStart(bytes, 0, bytes.length)));
        expect(outcomeOf(() => header.readRequestN())).toEqual(outcomeOf(() => readWireRequestN(bytes, 0, bytes.length)));
        for (const format of [METADATA_FORMAT.COMPOSITE, METADATA_FORMAT.ROUTING]) {
          expect(outcomeOf(() => header.readRoute(format))).toEqual(outcomeOf(() => readWireRoute(bytes, 0, bytes.length, format)));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('describes the frame it last read, at its offset in a larger buffer', () => {
    const first = encodeFrameBody({ type: FRAME_TYPE.REQUEST_N, streamId: 3, flags: 0, requestN: 7 });
    const second = encodeFrameBody({ type: FRAME_TYPE.CANCEL, streamId: 5, flags: FLAG.IGNORE });
    const chunk = Buffer.concat([first, second]);
    const header = new FrameHeader().read(chunk, 0, first.length);
    expect(header.readRequestN()).toBe(7);
    header.read(chunk, first.length, chunk.length);
    expect(header).toMatchObject({ start: first.length, end: chunk.length, streamId: 5, type: FRAME_TYPE.CANCEL, flags: FLAG.IGNORE });
  });
});
