import fc from 'fast-check';
import { FLAG, FRAME_TYPE, MAX_STREAM_ID, type Frame } from '../../src/protocol/index.js';

/** fast-check generators of well-formed frames of every type, flags consistent with their fields. */

const bytes = (maxLength = 64) => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));
const maybeMetadata = fc.option(bytes(), { nil: null });
const streamId = fc.integer({ min: 1, max: MAX_STREAM_ID });
const anyStreamId = fc.integer({ min: 0, max: MAX_STREAM_ID });
const u31 = fc.integer({ min: 0, max: 0x7fffffff });
const positive31 = fc.integer({ min: 1, max: 0x7fffffff });
const position = (max: bigint) => fc.bigInt({ min: 0n, max });
const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
/** Flag bits other than METADATA (and SETUP's RESUME_ENABLE), which the fields decide. */
const otherFlags = (mask: number) => fc.integer({ min: 0, max: 0x3ff }).map((flags) => flags & mask & ~FLAG.METADATA);
const withMetadataFlag = (flags: number, metadata: Buffer | null) => (metadata ? flags | FLAG.METADATA : flags);

export function arbitraryFrame(options: { maxPosition?: bigint } = {}): fc.Arbitrary<Frame> {
  const maxPosition = options.maxPosition ?? 0x7fffffffffffffffn;
  const payloadFrame = <T extends number>(type: T) =>
    fc.record({ streamId, flags: otherFlags(0x3ff), metadata: maybeMetadata, data: bytes() }).map((f) => ({
      ...f,
      type,
      flags: withMetadataFlag(f.flags, f.metadata),
    }));
  const requestManyFrame = <T extends number>(type: T) =>
    fc.record({ streamId, flags: otherFlags(0x3ff), requestN: positive31, metadata: maybeMetadata, data: bytes() }).map((f) => ({
      ...f,
      type,
      flags: withMetadataFlag(f.flags, f.metadata),
    }));

  return fc.oneof(
    fc
      .record({
        flags: otherFlags(0x3ff & ~FLAG.RESUME_ENABLE),
        majorVersion: fc.integer({ min: 0, max: 0xffff }),
        minorVersion: fc.integer({ min: 0, max: 0xffff }),
        keepAlive: positive31,
        lifetime: positive31,
        resumeToken: fc.option(bytes(32), { nil: null }),
        metadataMimeType: ascii,
        dataMimeType: ascii,
        metadata: maybeMetadata,
        data: bytes(),
      })
      .map((f) => ({
        ...f,
        type: FRAME_TYPE.SETUP,
        streamId: 0,
        flags: withMetadataFlag(f.resumeToken ? f.flags | FLAG.RESUME_ENABLE : f.flags, f.metadata),
      })),
    fc
      .record({ flags: otherFlags(0x3ff), ttl: u31, requestCount: u31, metadata: maybeMetadata })
      .map((f) => ({ ...f, type: FRAME_TYPE.LEASE, streamId: 0, flags: withMetadataFlag(f.flags, f.metadata) })),
    fc
      .record({ flags: otherFlags(0x3ff), lastReceivedPosition: position(maxPosition), data: bytes() })
      .map((f) => ({ ...f, type: FRAME_TYPE.KEEPALIVE, streamId: 0 })),
    payloadFrame(FRAME_TYPE.REQUEST_RESPONSE),
    payloadFrame(FRAME_TYPE.REQUEST_FNF),
    requestManyFrame(FRAME_TYPE.REQUEST_STREAM),
    requestManyFrame(FRAME_TYPE.REQUEST_CHANNEL),
    fc.record({ streamId, flags: otherFlags(0x3ff), requestN: positive31 }).map((f) => ({ ...f, type: FRAME_TYPE.REQUEST_N })),
    fc.record({ streamId, flags: otherFlags(0x3ff) }).map((f) => ({ ...f, type: FRAME_TYPE.CANCEL })),
    payloadFrame(FRAME_TYPE.PAYLOAD),
    fc
      .record({ streamId: anyStreamId, flags: otherFlags(0x3ff), code: fc.integer({ min: 0, max: 0xffffffff }), message: fc.string({ maxLength: 40 }) })
      .map((f) => ({ ...f, type: FRAME_TYPE.ERROR })),
    fc
      .record({ flags: otherFlags(0x3ff), metadata: bytes() })
      .map((f) => ({ ...f, type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: f.flags | FLAG.METADATA })),
    fc
      .record({
        flags: otherFlags(0x3ff),
        majorVersion: fc.integer({ min: 0, max: 0xffff }),
        minorVersion: fc.integer({ min: 0, max: 0xffff }),
        resumeToken: bytes(32),
        lastReceivedServerPosition: position(maxPosition),
        firstAvailableClientPosition: position(maxPosition),
      })
      .map((f) => ({ ...f, type: FRAME_TYPE.RESUME, streamId: 0 })),
    fc
      .record({ flags: otherFlags(0x3ff), lastReceivedClientPosition: position(maxPosition) })
      .map((f) => ({ ...f, type: FRAME_TYPE.RESUME_OK, streamId: 0 })),
    fc
      .record({ streamId: anyStreamId, flags: otherFlags(0x3ff), extendedType: u31, metadata: maybeMetadata, data: bytes() })
      .map((f) => ({ ...f, type: FRAME_TYPE.EXT, flags: withMetadataFlag(f.flags, f.metadata) })),
  ) as fc.Arbitrary<Frame>;
}
