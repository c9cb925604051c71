/** One-off requests from the command line: `rsb call` and `rsb services`, on the SDK. */
export { runCall, type CallRequest, type CallResponse, type CallResult } from './run-call.js';
export { loadCallData, parseHeaderFlags, splitChannelItems } from './call-data.js';
export { formatFrameDump, describeFrameHeader } from './frame-dump.js';
export { listServices, formatServicesReport, mergeInstances, type BrokerServices, type RegisteredInstance, type ServicesReport } from './list-services.js';
