/** Proof under bad input, backpressure, faults and scale: the cases behind `rsb reliability`. */
export { BrokerProcess } from './broker-process.js';
export type { CaseResult } from './case-result.js';
export { runBackpressureCase, type BackpressureOptions } from './backpressure-case.js';
export { runScaleCase, type ScaleOptions } from './scale-case.js';
export { runBadInputCase, SCRIPTED_CASES, type BadInputOptions } from './bad-input-case.js';
export { runStreamIdCase } from './stream-id-case.js';
export { runTransportInputCase, TRANSPORT_INPUT_CASES } from './transport-input-case.js';
export { runMockKillCase, MOCK_RECOVERY_BOUND_MS } from './mock-kill-case.js';
export { runBrokerKillCase, BROKER_RECOVERY_BOUND_MS, REREGISTRATION_BOUND_MS } from './broker-kill-case.js';
export { runPartitionCase, PARTITION_DETECTION_BOUND_MS, PARTITION_RETURN_BOUND_MS, PARTITION_KEEPALIVE_LIFETIME_MS } from './partition-case.js';
export { runFaultLoad, type FaultLoadOptions, type FaultLoadRun } from './fault-load-run.js';
export { formatReliabilityReport, runReliability, type ReliabilityOptions, type ReliabilityReport } from './run-reliability.js';
