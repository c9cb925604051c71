import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeWireFrame,
  encodeFrame,
  encodeFrameBody,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  nameErrorCode,
  nameFrameType,
  parseErrorCode,
  PROTOCOL_ERROR_CODE,
  ProtocolError,
  type Frame,
} from '../../src/protocol/index.js';
import { arbitraryFrame } from '../support/frame-arbitraries.js';
import { bytesOf } from '../support/hex.js';

const empty = Buffer.alloc(0);

/** One hand-written frame of each type, with metadata and data where the type carries them. */
const ONE_OF_EACH: Frame[] = [
  {
    type: FRAME_TYPE.SETUP, streamId: 0, flags: FLAG.METADATA | FLAG.RESUME_ENABLE | FLAG.LEASE, majorVersion: 1, minorVersion: 2,
    keepAlive: 1000, lifetime: 5000, resumeToken: Buffer.from('token'), metadataMimeType: 'message/x.rsocket.composite-metadata.v0',
    dataMimeType: 'text/plain', metadata: Buffer.from('md'), data: Buffer.from('data'),
  },
  { type: FRAME_TYPE.LEASE, streamId: 0, flags: FLAG.METADATA, ttl: 30_000, requestCount: 100, metadata: Buffer.from('lease-md') },
  { type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0x7fffffffffffffffn, data: Buffer.from('ka') },
  { type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: FLAG.METADATA, metadata: Buffer.from('m'), data: Buffer.from('d') },
  { type: FRAME_TYPE.REQUEST_FNF, streamId: 3, flags: 0, metadata: null, data: Buffer.from('fire') },
  { type: FRAME_TYPE.REQUEST_STREAM, streamId: 5, flags: FLAG.METADATA | FLAG.FOLLOWS, requestN: 0x7fffffff, metadata: empty, data: empty },
  { type: FRAME_TYPE.REQUEST_CHANNEL, streamId: 7, flags: FLAG.COMPLETE, requestN: 1, metadata: null, data: Buffer.from('c') },
  { type: FRAME_TYPE.REQUEST_N, streamId: 9, flags: 0, requestN: 42 },
  { type: FRAME_TYPE.CANCEL, streamId: 11, flags: 0 },
  { type: FRAME_TYPE.PAYLOAD, streamId: 13, flags: FLAG.NEXT | FLAG.METADATA, metadata: Buffer.from('pm'), data: Buffer.from('pd') },
  { type: FRAME_TYPE.ERROR, streamId: 0, flags: 0, code: ERROR_CODE.CONNECTION_ERROR, message: 'ünïcode message' },
  { type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: FLAG.METADATA, metadata: Buffer.from('{"x":1}') },
  {
    type: FRAME_TYPE.RESUME, streamId: 0, flags: 0, majorVersion: 1, minorVersion: 0, resumeToken: Buffer.from('tok'),
    lastReceivedServerPosition: 12n, firstAvailableClientPosition: 34n,
  },
  { type: FRAME_TYPE.RESUME_OK, streamId: 0, flags: 0, lastReceivedClientPosition: 99n },
  { type: FRAME_TYPE.EXT, streamId: 15, flags: FLAG.IGNORE | FLAG.METADATA, extendedType: 0x1234, metadata: Buffer.from('x'), data: Buffer.from('y') },
];

function expectProtocolError(run: () => unknown, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(code);
}

describe('frame codec', () => {
  for (const frame of ONE_OF_EACH) {
    it(`round-trips a ${nameFrameType(frame.type)} frame with all its fields`, () => {
      const wire = encodeFrame(frame);
      expect(wire.readUIntBE(0, 3)).toBe(wire.length - 3);
      expect(decodeWireFrame(wire)).toEqual(frame);
    });
  }

  it('round-trips every well-formed frame fast-check can generate', () => {
    fc.assert(
      fc.property(arbitraryFrame(), (frame) => {
        expect(decodeFrame(encodeFrameBody(frame))).toEqual(frame);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the METADATA flag in step with the metadata field whatever flags the caller passes', () => {
    const withoutFlag = encodeFrame({ type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: FLAG.NEXT, metadata: Buffer.from('m'), data: empty });
    expect((decodeWireFrame(withoutFlag) as { flags: number }).flags).toBe(FLAG.NEXT | FLAG.METADATA);
    const withStrayFlag = encodeFrame({ type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: FLAG.METADATA, metadata: null, data: empty });
    expect((decodeWireFrame(withStrayFlag) as { flags: number }).flags).toBe(0);
  });

  it('tells empty metadata apart from absent metadata', () => {
    const frame = decodeWireFrame(encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: empty, data: empty }));
    expect(frame).toMatchObject({ metadata: empty, flags: FLAG.METADATA });
  });
});

describe('frame decoder on bad input', () => {
  it('rejects a frame shorter than the 6-byte header', () => {
    expectProtocolError(() => decodeFrame(Buffer.from('0000000104', 'hex')), PROTOCOL_ERROR_CODE.FRAME_TOO_SHORT);
  });

  it('rejects a frame whose metadata length runs past its end', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('00000c | 00000001 | 1100 | 0000ff | 616263')), PROTOCOL_ERROR_CODE.METADATA_LENGTH);
  });

  it('rejects a frame type RSocket 1.0 does not define', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('000006 | 00000001 | 4000')), PROTOCOL_ERROR_CODE.UNKNOWN_FRAME_TYPE);
  });

  it('rejects a request on stream 0', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('000006 | 00000000 | 1000')), PROTOCOL_ERROR_CODE.INVALID_STREAM_ID);
  });

  it('rejects a SETUP on a stream other than 0', () => {
    const setup = encodeFrame(ONE_OF_EACH[0]!);
    setup.writeUInt32BE(3, 3);
    expectProtocolError(() => decodeWireFrame(setup), PROTOCOL_ERROR_CODE.INVALID_STREAM_ID);
  });

  it('rejects a REQUEST_N of 0', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('00000a | 00000003 | 2000 | 00000000')), PROTOCOL_ERROR_CODE.INVALID_REQUEST_N);
  });

  it('rejects a REQUEST_STREAM whose initial request N is 0', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('00000a | 00000003 | 1800 | 00000000')), PROTOCOL_ERROR_CODE.INVALID_REQUEST_N);
  });

  it('rejects a SETUP that ends inside its MIME types', () => {
    const setup = encodeFrame(ONE_OF_EACH[0]!);
    expectProtocolError(() => decodeFrame(setup, 3, 3 + 30), PROTOCOL_ERROR_CODE.FRAME_TRUNCATED);
  });

  it('rejects a SETUP whose MIME type is not ASCII', () => {
    const body = bytesOf('00000000 | 0400 | 0001 0000 | 00004e20 | 00015f90 | 02 c3a9 | 00');
    expectProtocolError(() => decodeFrame(body), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });

  it('rejects a KEEPALIVE position with its reserved top bit set', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('00000e | 00000000 | 0c80 | 8000000000000000')), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });

  it('rejects a METADATA_PUSH without the METADATA flag', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('000008 | 00000000 | 3000 | 7b7d')), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });

  it('rejects a length prefix that does not match the bytes that follow', () => {
    expectProtocolError(() => decodeWireFrame(bytesOf('000009 | 00000003 | 2400')), PROTOCOL_ERROR_CODE.FRAME_TRUNCATED);
  });

  it('throws nothing but ProtocolError on any byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (array) => {
        try {
          decodeFrame(Buffer.from(array));
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('frame encoder guards', () => {
  it('refuses a stream id past 2^31-1', () => {
    expectProtocolError(() => encodeFrame({ type: FRAME_TYPE.CANCEL, streamId: 0x80000000, flags: 0 }), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });

  it('refuses a REQUEST_N of 0', () => {
    expectProtocolError(() => encodeFrame({ type: FRAME_TYPE.REQUEST_N, streamId: 1, flags: 0, requestN: 0 }), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });

  it('refuses a frame over the u24 length limit', () => {
    const data = Buffer.alloc(0xffffff);
    expectProtocolError(() => encodeFrame({ type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: 0, metadata: null, data }), PROTOCOL_ERROR_CODE.FRAME_TOO_LONG);
  });

  it('refuses a MIME type that is not ASCII', () => {
    const setup = { ...(ONE_OF_EACH[0] as Extract<Frame, { type: 1 }>), dataMimeType: 'tëxt/plain' };
    expectProtocolError(() => encodeFrame(setup), PROTOCOL_ERROR_CODE.INVALID_FIELD);
  });
});

describe('error codes', () => {
  it('names defined, application-defined and reserved codes', () => {
    expect(nameErrorCode(0x202)).toBe('REJECTED');
    expect(nameErrorCode(0x301)).toBe('APPLICATION_DEFINED(0x301)');
    expect(nameErrorCode(0x7)).toBe('RESERVED(0x7)');
  });

  it('parses codes by name, hex and decimal', () => {
    expect(parseErrorCode('rejected')).toBe(0x202);
    expect(parseErrorCode('0x201')).toBe(0x201);
    expect(parseErrorCode('769')).toBe(0x301);
    expect(parseErrorCode('nonsense')).toBeUndefined();
  });
});
