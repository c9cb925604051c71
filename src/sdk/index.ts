/**
 * The SDK a Node program uses to talk to rsb brokers, on rsocket-js 1.0.0-alpha.3: one
 * connection per broker with SETUP carrying app info and published services, handlers
 * for the four interaction models, promise and async-iterator requesters with timeouts
 * and typed errors, reconnect with backoff, and broker events (METADATA_PUSH).
 */
export { connect, RsbClient, DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type ConnectOptions, type StreamOptions } from './client.js';
export { STREAM_ID_BUDGET } from './rsocket-dialer.js';
// The broker addresses and link events of src/client, so that `rsb/sdk` is all a program imports.
export { DEFAULT_BROKER_ADDRESS, LINK_EVENT, formatBrokerAddress, parseBrokerAddress, resolveBrokerAddresses, type BrokerAddress, type LinkEvent } from '../client/index.js';
export { HEADERS_MIME, decodeRequestMetadata, encodeRequestMetadata, type Data, type Message, type Reply, type RequestMetadataOptions } from './messages.js';
export { ANY_METHOD, type IncomingRequest, type MethodHandler, type MethodHandlers, type ServiceHandlers } from './responder.js';
export {
  buildConnectorSetup,
  describeApp,
  encodeIdentity,
  parseServiceKey,
  toPeerSetupOptions,
  DEFAULT_KEEPALIVE_TIMING,
  type Identity,
  type KeepAliveTiming,
} from './setup.js';
export { FRAME_DIRECTION, type FrameDirection, type FrameListener } from './socket.js';
export type { TlsClientOptions } from '../transport/index.js';
export { createRSocketError } from './wire-errors.js';
// What SDK users throw and catch, so that `rsb/sdk` is all a program imports.
export { ConnectError, ConnectionClosedError, RSocketRequestError, SetupRejectedError, TimeoutError } from '../errors.js';
export { ERROR_CODE } from '../protocol/index.js';
