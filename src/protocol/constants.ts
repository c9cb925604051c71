/**
 * RSocket 1.0 wire constants (Protocol.md, "Framing" and "Frame Header Format").
 * Widths are given next to each value because the wire cares about them.
 */

/** Frame type codes: the 6 high bits of the u16 after the stream id. */
export const FRAME_TYPE = {
  RESERVED: 0x00,
  SETUP: 0x01,
  LEASE: 0x02,
  KEEPALIVE: 0x03,
  REQUEST_RESPONSE: 0x04,
  REQUEST_FNF: 0x05,
  REQUEST_STREAM: 0x06,
  REQUEST_CHANNEL: 0x07,
  REQUEST_N: 0x08,
  CANCEL: 0x09,
  PAYLOAD: 0x0a,
  ERROR: 0x0b,
  METADATA_PUSH: 0x0c,
  RESUME: 0x0d,
  RESUME_OK: 0x0e,
  EXT: 0x3f,
} as const;
export type FrameType = (typeof FRAME_TYPE)[keyof typeof FRAME_TYPE];

const FRAME_TYPE_NAMES = new Map<number, string>(Object.entries(FRAME_TYPE).map(([name, code]) => [code, name]));

/** The name of a frame type code, or `UNKNOWN(0x..)` for a code RSocket 1.0 does not define. */
export function nameFrameType(type: number): string {
  return FRAME_TYPE_NAMES.get(type) ?? `UNKNOWN(0x${type.toString(16)})`;
}

export function isKnownFrameType(type: number): type is FrameType {
  return type !== FRAME_TYPE.RESERVED && FRAME_TYPE_NAMES.has(type);
}

/** Flag bits: the 10 low bits of the u16 after the stream id. Some bits mean different things per frame type. */
export const FLAG = {
  IGNORE: 0x200,
  METADATA: 0x100,
  FOLLOWS: 0x080,
  COMPLETE: 0x040,
  NEXT: 0x020,
  /** SETUP: the client asks for resumption (same bit as FOLLOWS). */
  RESUME_ENABLE: 0x080,
  /** SETUP: the client will honour LEASE (same bit as COMPLETE). */
  LEASE: 0x040,
  /** KEEPALIVE: the receiver must answer (same bit as FOLLOWS). */
  RESPOND: 0x080,
} as const;

export const FLAGS_MASK = 0x3ff; // u10
export const FRAME_TYPE_SHIFT = 10;

export const FRAME_LENGTH_SIZE = 3; // u24 length prefix on TCP
export const FRAME_HEADER_SIZE = 6; // u32 stream id + u16 type and flags
export const METADATA_LENGTH_SIZE = 3; // u24
export const MAX_FRAME_LENGTH = 0xffffff; // u24
export const MAX_METADATA_LENGTH = 0xffffff; // u24
export const MAX_STREAM_ID = 0x7fffffff; // u31
export const MAX_REQUEST_N = 0x7fffffff; // u31: this value means "unbounded"
export const MAX_KEEPALIVE_MS = 0x7fffffff; // u31
export const MAX_MIME_LENGTH = 0xff; // u8
export const MAX_RESUME_TOKEN_LENGTH = 0xffff; // u16
export const MAX_POSITION = 0x7fffffffffffffffn; // u63

/**
 * Offsets inside a frame, counted from its first header byte (the stream id). The u24
 * length prefix before a frame on TCP is the transport's framing, not part of the frame
 * (a WebSocket message carries a frame without it), so the splitter reports frames from
 * their header and every reader counts from there.
 */
export const WIRE_OFFSET = {
  STREAM_ID: 0,
  TYPE_AND_FLAGS: 4,
  BODY: FRAME_HEADER_SIZE,
} as const;

export const PROTOCOL_MAJOR_VERSION = 1;
export const PROTOCOL_MINOR_VERSION = 0;
