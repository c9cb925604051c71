/**
 * The RSocket 1.0 codec: frames, composite/routing/authentication metadata, the TCP frame
 * splitter, the WebSocket message check and the header-only readers of the forwarding path. Pure: no sockets, no I/O.
 */
export * from './constants.js';
export * from './error-codes.js';
export * from './errors.js';
export type * from './frames.js';
export { encodeFrame, encodeFrameBody, measureFrameBody } from './encode.js';
export { decodeFrame, decodeWireFrame, checkStreamIdForType } from './decode.js';
export * from './frame-splitter.js';
export * from './websocket-message.js';
export * from './wire-header.js';
export * from './mime-types.js';
export * from './composite-metadata.js';
export * from './routing.js';
export * from './authentication.js';
export { readU24, writeU24 } from './bytes.js';
export * from './setup-metadata.js';
export * from './cloud-events.js';
export * from './broker-contract.js';
export * from './transports.js';
export * from './per-stream-mime.js';
export { FrameHeader } from './frame-header.js';
export * from './outcome.js';
