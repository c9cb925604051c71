/**
 * The codec's one error type. Every failure to read or write a frame is a ProtocolError
 * with a stable `code`; nothing else escapes `src/protocol`.
 */
export const PROTOCOL_ERROR_CODE = {
  /** A frame's declared length is below the 6-byte header. */
  FRAME_TOO_SHORT: 'ERR_FRAME_TOO_SHORT',
  /** A frame's declared length is above the connection's maximum frame size. */
  FRAME_TOO_LONG: 'ERR_FRAME_TOO_LONG',
  /** A frame ends before a field its type and flags require. */
  FRAME_TRUNCATED: 'ERR_FRAME_TRUNCATED',
  /** A metadata length runs past the end of its frame or container. */
  METADATA_LENGTH: 'ERR_METADATA_LENGTH',
  /** A frame type RSocket 1.0 does not define. */
  UNKNOWN_FRAME_TYPE: 'ERR_UNKNOWN_FRAME_TYPE',
  /** A stream id that the frame type forbids (0 for a request, non-zero for SETUP...). */
  INVALID_STREAM_ID: 'ERR_INVALID_STREAM_ID',
  /** REQUEST_N or an initial request N of 0. */
  INVALID_REQUEST_N: 'ERR_INVALID_REQUEST_N',
  /** A field outside its range or form: a MIME type that is not ASCII, a u63 with its top bit set... */
  INVALID_FIELD: 'ERR_INVALID_FIELD',
  /** Composite metadata whose entries do not add up. */
  COMPOSITE_METADATA: 'ERR_COMPOSITE_METADATA',
  /** Routing metadata whose tags do not add up, or a route that names no service. */
  ROUTING_METADATA: 'ERR_ROUTING_METADATA',
  /** Authentication metadata that does not add up. */
  AUTH_METADATA: 'ERR_AUTH_METADATA',
  /** A WebSocket message that is not one RSocket frame (a text message, two frames in one), or a broken WebSocket frame. */
  WEBSOCKET_MESSAGE: 'ERR_WEBSOCKET_MESSAGE',
  /** A broker event that is not a CloudEvents 1.0 JSON event, or whose data does not add up. */
  CLOUD_EVENT: 'ERR_CLOUD_EVENT',
} as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODE)[keyof typeof PROTOCOL_ERROR_CODE];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
