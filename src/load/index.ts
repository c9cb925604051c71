/** `rsb load`: the open-loop load engine, profiles, scenarios, thresholds, topology and reports. */
export { runLoad, type RunLoadOptions } from './run-load.js';
export { loadScenarioFile, parseScenario, resolveScenario, DEFAULT_PACING_MS, DEFAULT_SCENARIO, type LoadFlags, type LoadScenario, type FaultSpec, type TopologySpec } from './scenario.js';
export { compileProfile, DEFAULT_DAILY_WEIGHTS, PROFILE_KIND, Schedule, type ProfileSpec, type Phase } from './profile.js';
export { parseThreshold, evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';
export { LOAD_VERDICT, type LoadResult, type LegResult, type LoadVerdict, type FaultResult, type MaxResult } from './results.js';
export { OpenLoopGenerator, warmUp, type ConnectLoad, type GeneratorPlan, type IntervalSnapshot, type LoadConnections } from './generator.js';
export { startGenerators, type LoadEngine } from './generator-host.js';
export { RunRecorder, type TimelineRow, type PhaseResult } from './run-recorder.js';
export { SILENT_REPORTER, type LoadReporter, type LegInfo } from './reporter.js';
export { formatSummary, formatRowLine, formatPhaseLine } from './format.js';
export { renderHtmlReport } from './report-html.js';
export { findExistingBrokers, startTopology, useExistingBrokers, type ExistingBrokers, type Topology } from './topology.js';
export type { LoadTarget, PoolEvent } from './connection-pool.js';
export { labelMix, type MixEntry } from './request-mix.js';
export { createLoadReporter } from './live-reporter.js';
export { watchInterruptions } from './interruptions.js';
export { HttpLoadEngine, classifyHttpStatus, HTTP_PACING_NOTE, type HttpRequestSpec, type HttpLoadPlan } from './http-engine.js';
export { buildHttpRequest, type HttpRequestFlags } from './http-request.js';
