/** Proof under bad input, backpressure, faults and scale: the cases behind `rsb reliability`. */
export { BrokerProcess } from './broker-process.js';
export type { CaseResult } from './case-result.js';
export { runBackpressureCase, type BackpressureOptions } from './backpressure-case.js';
export { runScaleCase, type ScaleOptions } from './scale-case.js';
export { runBadInputCase, SCRIPTED_CASES, type BadInputOptions } from './bad-input-case.js';
export { runStreamIdCase } from './stream-id-case.js';
export { formatReliabilityReport, runReliability, type ReliabilityOptions, type ReliabilityReport } from './run-reliability.js';
