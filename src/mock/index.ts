/** `rsb mock`: mock services on the lean responder, with behaviours per method. */
export { parseMockSpec, parseLatency, parseResponse, parseErrorSpec, parseStream, parseResponseSize, describeBehaviour, DEFAULT_STREAM, SLOW_METHOD_LATENCY_MS } from './spec.js';
export type { ErrorSpec, LatencySpec, MethodBehaviour, MockSpec, MockSpecInput, ResponseSpec } from './spec.js';
export { createLatencySampler, inverseStandardNormal, type LatencySampler } from './latency.js';
export { MockHandler, type MethodCounters } from './mock-handler.js';
export { runMock, MOCK_RECONNECT_POLICY, type MockReport, type RunMockOptions } from './run-mock.js';
