/** Framed connections for RSocket endpoints on TCP, TLS and WebSocket: dialing, batched writes, and the lean requester and responder. */
export * from './framed-connection.js';
export * from './dial.js';
export * from './flush-scheduler.js';
export * from './peer-connection.js';
export * from './lean-requester.js';
export * from './lean-responder.js';
export * from './stream-ids.js';
export * from './stream-map.js';
export * from './outbound-buffer.js';
