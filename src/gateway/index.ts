/** The HTTP edges of the architecture: the HTTP → RSocket gateway and the RSocket → HTTP proxy. */
export { DEFAULT_GATEWAY_PORT, DEFAULT_MAX_BODY_BYTES, GatewayServer, type GatewayServerOptions, type GatewayStats } from './gateway-server.js';
export { describeGatewayError, type GatewayErrorBody } from './http-errors.js';
export { HttpProxy, type HttpProxyOptions, type HttpProxyStats } from './http-proxy.js';
export {
  chooseGatewayMode,
  collectMetaHeaders,
  encodeQueryAsJson,
  formatNdjsonLine,
  formatSseEvent,
  GATEWAY_MODE,
  META_HEADER_PREFIX,
  MODE_HEADER,
  parseGatewayPath,
  type GatewayMode,
} from './http-routes.js';
export { runGateway, runProxy, type GatewayReport, type ProxyReport } from './run-bridges.js';
