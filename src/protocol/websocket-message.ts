import { FRAME_HEADER_SIZE, FRAME_TYPE, nameFrameType } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import { readWireFrameType } from './wire-header.js';

/**
 * Sizes of the frame types whose length is fixed: header, then their fields. On TCP the
 * length prefix says where a frame ends; on WebSocket the message does ("each WebSocket
 * message MUST contain a single frame", the spec's WebSocket transport), so a message
 * longer than its fixed-size frame holds a second frame, or a prefix misread as a header.
 */
const FIXED_FRAME_SIZE = new Map<number, number>([
  [FRAME_TYPE.CANCEL, FRAME_HEADER_SIZE],
  [FRAME_TYPE.REQUEST_N, FRAME_HEADER_SIZE + 4],
  [FRAME_TYPE.RESUME_OK, FRAME_HEADER_SIZE + 8],
]);

/**
 * Checks what the WebSocket transport adds to a frame's own rules: a message is exactly one
 * frame, never less than a header, and a fixed-size frame fills it. Frames with a payload
 * end where the message ends, so two of them in one message read as one whose data runs
 * on; the frame's own checks (type, stream id, lengths) catch a message that starts with
 * a TCP length prefix. Throws ProtocolError.
 */
export function checkWebSocketMessage(message: Buffer): void {
  if (message.length < FRAME_HEADER_SIZE) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_SHORT, `a WebSocket message of ${message.length} bytes is shorter than the 6-byte frame header`);
  }
  const type = readWireFrameType(message, 0);
  const size = FIXED_FRAME_SIZE.get(type);
  if (size !== undefined && message.length !== size) {
    throw new ProtocolError(
      PROTOCOL_ERROR_CODE.WEBSOCKET_MESSAGE,
      `a WebSocket message of ${message.length} bytes holds a ${nameFrameType(type)} frame of ${size}: each message must be exactly one frame, without a length prefix`,
    );
  }
}
