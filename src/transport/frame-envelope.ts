import { randomFillSync } from 'node:crypto';
import { FRAME_LENGTH_SIZE, writeU24 } from '../protocol/index.js';

/**
 * What a transport puts around each frame it sends. Frames are the same bytes on every
 * transport; only this differs: a u24 length prefix on TCP and TLS, a WebSocket frame
 * header on WebSocket (one binary message per frame, no prefix). The connection writes the
 * envelope straight into its outbound slab before the frame, so a frame read on one
 * transport leaves on another without being encoded again.
 */
export interface FrameEnvelope {
  /** Bytes that go before a frame of `size` bytes. */
  headerSize(size: number): number;
  /** Writes them at `at`. */
  writeHeader(slab: Buffer, at: number, size: number): void;
  /**
   * A WebSocket client's frames are masked (RFC 6455, 5.3): called once the frame's
   * `size` bytes are in place after its header at `headerAt`, to mask them there.
   * Null for transports that send frames as they are.
   */
  readonly mask: ((slab: Buffer, headerAt: number, size: number) => void) | null;
}

// TCP: | u24 length | frame |
export const LENGTH_PREFIX_ENVELOPE: FrameEnvelope = {
  headerSize: () => FRAME_LENGTH_SIZE,
  writeHeader: writeU24,
  mask: null,
};

/** FIN set, opcode 2: a whole binary message (RFC 6455, 5.2). */
const WS_FIN_BINARY = 0x82;
const WS_MASK_BIT = 0x80;
const WS_MASK_KEY_SIZE = 4;
/** Payload lengths up to 125 fit in the second byte; 126 announces a u16 length, 127 a u64. */
const WS_SHORT_LENGTH_MAX = 125; // u7
const WS_U16_LENGTH = 126;
const WS_U64_LENGTH = 127;

function measureWebSocketLength(size: number): number {
  return size <= WS_SHORT_LENGTH_MAX ? 2 : size <= 0xffff ? 4 : 10;
}

// WebSocket: | FIN+opcode u8 | MASK bit + u7 length | [u16 or u64 length] | [u32 mask key] | frame |
function writeWebSocketHeader(slab: Buffer, at: number, size: number, maskBit: number): number {
  slab[at] = WS_FIN_BINARY;
  if (size <= WS_SHORT_LENGTH_MAX) {
    slab[at + 1] = maskBit | size;
    return at + 2;
  }
  if (size <= 0xffff) {
    slab[at + 1] = maskBit | WS_U16_LENGTH;
    slab.writeUInt16BE(size, at + 2);
    return at + 4;
  }
  slab[at + 1] = maskBit | WS_U64_LENGTH;
  slab.writeUInt32BE(0, at + 2);
  slab.writeUInt32BE(size, at + 6);
  return at + 10;
}

/** A server's frames: unmasked. */
export const WEBSOCKET_SERVER_ENVELOPE: FrameEnvelope = {
  headerSize: measureWebSocketLength,
  writeHeader: (slab, at, size) => void writeWebSocketHeader(slab, at, size, 0),
  mask: null,
};

/** Mask keys are drawn from a pool of random bytes refilled as it runs out, as `ws` does: one call per 2,048 frames. */
const MASK_POOL_BYTES = 8 * 1024;
const maskPool = Buffer.allocUnsafe(MASK_POOL_BYTES);
let maskPoolAt = MASK_POOL_BYTES;

/** A client's frames: masked with a fresh random key each (RFC 6455, 5.3: "MUST be unpredictable"). */
export const WEBSOCKET_CLIENT_ENVELOPE: FrameEnvelope = {
  headerSize: (size) => measureWebSocketLength(size) + WS_MASK_KEY_SIZE,
  writeHeader(slab, at, size) {
    const keyAt = writeWebSocketHeader(slab, at, size, WS_MASK_BIT);
    if (maskPoolAt === MASK_POOL_BYTES) {
      randomFillSync(maskPool);
      maskPoolAt = 0;
    }
    maskPool.copy(slab, keyAt, maskPoolAt, maskPoolAt + WS_MASK_KEY_SIZE);
    maskPoolAt += WS_MASK_KEY_SIZE;
  },
  mask(slab, headerAt, size) {
    const keyAt = headerAt + measureWebSocketLength(size);
    const start = keyAt + WS_MASK_KEY_SIZE;
    for (let i = 0; i < size; i++) slab[start + i] = slab[start + i]! ^ slab[keyAt + (i & 3)]!;
  },
};
