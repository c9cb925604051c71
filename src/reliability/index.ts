/** Proof under bad input, backpressure, faults and scale: the cases behind `rsb reliability`. */
export { BrokerProcess } from './broker-process.js';
export type { CaseResult } from './case-result.js';
export { runBackpressureCase, type BackpressureOptions } from './backpressure-case.js';
export { runScaleCase, type ScaleOptions } from './scale-case.js';
