import type { TlsClientFiles } from '../client/index.js';
import { writeFile } from 'node:fs/promises';
import { EXIT_CODE } from '../cli/exit-codes.js';
import { formatCount, formatMicros } from '../cli/format.js';
import { UsageError } from '../errors.js';
import { parseRoute, ProtocolError } from '../protocol/index.js';
import type { LoadTarget, PoolEvent } from './connection-pool.js';
import { formatSeconds } from './format.js';
import { createWarmupCounts, type GeneratorPlan, type IntervalSnapshot, type WarmupCounts } from './generator.js';
import { startGenerators, type LoadEngine } from './generator-host.js';
import { HdrIntervalLog } from './hdr-log.js';
import { readSpectrum, roundTo } from './histograms.js';
import { HTTP_PACING_NOTE, HttpLoadEngine, type HttpRequestSpec } from './http-engine.js';
import { watchLegCpu, type LegCpuWatch, type LegRequests, type WatchedProcess } from './leg-cpu.js';
import { LoadMetricsServer, type MetricsLeg } from './live-metrics.js';
import { countAnswered, toOutcomeCounts, type OutcomeCounts } from './outcomes.js';
import { compileProfile, type Schedule } from './profile.js';
import { renderHtmlReport } from './report-html.js';
import type { LoadReporter } from './reporter.js';
import { labelMix } from './request-mix.js';
import {
  LOAD_VERDICT,
  RUN_MOMENT,
  STOP_CAUSE,
  type ConnectionEvent,
  type EarlyStop,
  type FaultResult,
  type LegResult,
  type LoadResult,
  type LoadResultFile,
  type LoadVerdict,
  type MaxResult,
  type RunMoment,
  type StopCause,
  type WarmupResult,
} from './results.js';
import { describeRun } from './run-metadata.js';
import { RunRecorder, type PhaseResult, type RunFigures, type RunHistograms, type TimelineRow } from './run-recorder.js';
import type { FaultSpec, LoadScenario, TopologySpec } from './scenario.js';
import { evaluateThresholds, type ThresholdInput, type ThresholdResult } from './thresholds.js';
import { findExistingBrokers, startTopology, useExistingBrokers, type ExistingBrokers, type Topology } from './topology.js';

export interface RunLoadOptions {
  scenario: LoadScenario;
  /** Brokers to load as they are (`--broker`, `--cluster`); when absent, rsb starts the scenario's topology and tears it down. */
  existing?: ExistingBrokers;
  /** First the same profile straight at the mocks (no broker), then through the brokers. */
  isBaseline: boolean;
  reporter: LoadReporter;
  outFile?: string;
  reportFile?: string;
  /** `--hdr-log FILE`: the corrected latency as interval histograms in the HdrHistogram log format. */
  hdrLogFile?: string;
  /** `--latency`: the corrected latency's full percentile spectrum in the result (and the summary). */
  isSpectrumShown?: boolean;
  /** `--metrics-port N`: serve the run's own Prometheus metrics while it runs (0: any free port). */
  metricsPort?: number;
  /** The command line and the scenario file, for the result's metadata. */
  command?: string;
  scenarioFile?: string;
  /** Generators on this thread rather than worker threads (tests from the sources). */
  isInThread?: boolean;
  /**
   * Resolves with the signal's name when the user asks to stop (SIGINT/SIGTERM): before
   * the topology is up nothing is sent; in the warm-up or the run sending stops, what is in
   * flight ends, and the run reports as `interrupted`.
   */
  interrupted?: Promise<string>;
  /** Bearer token the generators send in SETUP, for brokers started with --auth jwt. */
  token?: string | undefined;
  /** tcps and wss brokers: the TLS files the generators read (paths: they cross to worker threads). */
  tls?: TlsClientFiles | undefined;
  /** `--http URL`: HTTP load with autocannon at this request instead of RSocket load at brokers. */
  http?: HttpRequestSpec | undefined;
  /** Called once the topology is up, before any request: e.g. to watch its brokers' processes. */
  onTopology?: (topology: Topology) => void;
}

/** Interval between timeline rows (and plain report lines). */
const INTERVAL_MS = 1_000;
/** How long after a phase's end it is judged (its requests answered meanwhile). */
const PHASE_SETTLE_MS = 1_000;
/** Time between the generators being connected and the first intended send. */
const START_DELAY_MS = 100;
/** A drain longer than this is announced (what is still in flight, and for how long it may wait). */
const DRAIN_NOTICE_MS = 250;

/** The exit code of an interrupted run: the shell's 128 + the signal's number. */
const EXIT_CODE_OF_SIGNAL: Record<string, number> = { SIGINT: EXIT_CODE.INTERRUPTED, SIGTERM: EXIT_CODE.TERMINATED };

/**
 * The one call behind `rsb load`: starts (or finds) the topology, runs the profile —
 * first at the mocks' direct listeners with `--baseline` — evaluates thresholds, writes
 * `--out`, `--report` and `--hdr-log`, and tears down what it started, whatever happens.
 */
export async function runLoad(given: RunLoadOptions): Promise<LoadResult> {
  validateBeforeRun(given);
  const options = given.http ? { ...given, scenario: asHttpScenario(given.scenario, given.http) } : given;
  const { scenario, reporter } = options;
  const meta = describeRun(new Date(), options.command ?? 'rsb load', options.scenarioFile);
  const interruption = new Interruption(options.interrupted);
  const metrics = options.metricsPort === undefined ? undefined : await LoadMetricsServer.start(options.metricsPort);
  if (metrics) reporter.event(`metrics of this run: ${metrics.url}`);
  const hdrLog = options.hdrLogFile ? new HdrIntervalLog() : undefined;
  let topology: Topology;
  try {
    if (!options.http && !options.existing) reporter.event(`starting ${describeTopology(scenario.topology)}`);
    topology = options.http
      ? useExistingBrokers([httpTarget(options.http.url)])
      : options.existing
        ? useExistingBrokers(await findExistingBrokers({ ...options.existing, tls: options.tls }))
        : await startTopology(
            { ...scenario.topology, ...(scenario.keepaliveLifetimeMs !== undefined ? { keepaliveLifetimeMs: scenario.keepaliveLifetimeMs } : {}) },
            { isDirectNeeded: options.isBaseline, log: (line) => reporter.event(line) },
          );
  } catch (error) {
    await metrics?.close();
    throw error;
  }
  const detail: LoadResultFile['detail'] = [];
  let baseline: LegResult | undefined;
  let run: LegResult;
  let max: MaxResult | undefined;
  const legOptions = { ...options, topology, interruption, metrics, hdrLog };
  try {
    if (interruption.signal) reporter.event(`stopping on ${interruption.signal}: the topology is up, no request is sent; stopping it`);
    else options.onTopology?.(topology);
    if (options.isBaseline) {
      const leg = await runLeg({ ...legOptions, label: 'baseline (no broker)', tag: 'baseline', targets: [...topology.direct], faults: [], legIndex: 0, legCount: 2 });
      baseline = leg.result;
      detail.push({ label: leg.result.label, timeline: leg.timeline, histograms: leg.histograms });
    }
    const leg = await runLeg({
      ...legOptions,
      label: options.http ? `HTTP at ${options.http.url}` : topology.brokers.length > 1 ? `through ${topology.brokers.length} brokers` : 'through the broker',
      tag: 'run',
      targets: [...topology.brokers],
      faults: scenario.faults,
      legIndex: options.isBaseline ? 1 : 0,
      legCount: options.isBaseline ? 2 : 1,
    });
    run = leg.result;
    max = leg.max;
    detail.push({ label: leg.result.label, timeline: leg.timeline, histograms: leg.histograms });
  } finally {
    interruption.dispose();
    await topology.stop();
    await metrics?.close();
  }
  // Steps judged one by one (the max scenario) carry their verdicts; otherwise the thresholds judge the whole run.
  const thresholds = max ? [] : withAborts(evaluateThresholds(scenario.thresholds, toThresholdInput(run)), run.stop);
  const verdict = judgeRun([baseline, run], thresholds, max);
  const result: LoadResult = {
    scenario: scenario.name,
    ...(scenario.description ? { description: scenario.description } : {}),
    meta,
    verdict,
    exitCode: verdict === LOAD_VERDICT.INTERRUPTED ? EXIT_CODE_OF_SIGNAL[interruption.signal ?? 'SIGINT']! : EXIT_CODE_OF_VERDICT[verdict],
    thresholds,
    run,
    ...(baseline ? { baseline, overhead: measureOverhead(baseline, run) } : {}),
    ...(max ? { max } : {}),
    files: {
      ...(options.outFile ? { out: options.outFile } : {}),
      ...(options.reportFile ? { report: options.reportFile } : {}),
      ...(options.hdrLogFile ? { hdrLog: options.hdrLogFile } : {}),
    },
  };
  if (options.outFile) await writeFile(options.outFile, `${JSON.stringify({ ...result, detail } satisfies LoadResultFile, null, 2)}\n`);
  if (options.reportFile) await writeFile(options.reportFile, renderHtmlReport({ ...result, detail }));
  if (options.hdrLogFile && hdrLog) await writeFile(options.hdrLogFile, hdrLog.text());
  await reporter.finish(result);
  return result;
}

const EXIT_CODE_OF_VERDICT = {
  [LOAD_VERDICT.PASSED]: EXIT_CODE.OK,
  [LOAD_VERDICT.THRESHOLDS_FAILED]: EXIT_CODE.THRESHOLDS_FAILED,
  [LOAD_VERDICT.INVALID_RUN]: EXIT_CODE.INVALID_RUN,
} as const;

/**
 * An interrupted run is never judged a pass: it did not run its course. An invalid run
 * (the generator could not keep its schedule) says nothing of the broker, so it wins over
 * thresholds. Climbing steps pass when some step held; when none did, the first step's
 * breaking decides: the generator (invalid) or a threshold.
 */
function judgeRun(legs: (LegResult | undefined)[], thresholds: ThresholdResult[], max: MaxResult | undefined): LoadVerdict {
  if (legs.some((leg) => leg?.stop?.cause === STOP_CAUSE.INTERRUPTED)) return LOAD_VERDICT.INTERRUPTED;
  if (max) {
    if (max.highestRate !== undefined) return LOAD_VERDICT.PASSED;
    return max.limitedBy === 'generator' ? LOAD_VERDICT.INVALID_RUN : LOAD_VERDICT.THRESHOLDS_FAILED;
  }
  if (legs.some((leg) => leg !== undefined && !leg.validity.isValid)) return LOAD_VERDICT.INVALID_RUN;
  return thresholds.every((threshold) => threshold.isPassed) ? LOAD_VERDICT.PASSED : LOAD_VERDICT.THRESHOLDS_FAILED;
}

/** A threshold that aborted the run failed, whatever the figures that came in after: the run did not go on to show otherwise. */
function withAborts(thresholds: ThresholdResult[], stop: EarlyStop | undefined): ThresholdResult[] {
  const aborting = stop?.cause === STOP_CAUSE.ABORTED ? (stop.thresholds ?? []) : [];
  return thresholds.map((threshold) => {
    const atAbort = aborting.find((candidate) => candidate.threshold === threshold.threshold);
    return atAbort && threshold.isPassed ? { ...atAbort, measured: `${atAbort.measured} when it aborted the run` } : threshold;
  });
}

function validateBeforeRun(options: RunLoadOptions): void {
  if (options.http) {
    if (options.existing) throw new UsageError('--http loads an HTTP server, not brokers', 'Leave out --broker and --cluster with --http.');
    if (options.isBaseline) throw new UsageError('--baseline needs brokers that rsb starts; --http loads the URL as it is', 'Leave out --baseline with --http.');
    if (options.scenario.faults.length > 0) throw new UsageError('faults need the self-started topology; --http loads the URL as it is', 'Use a scenario without faults with --http.');
  }
  if (options.existing && options.scenario.faults.length > 0) {
    throw new UsageError('faults need the self-started topology', 'Leave out --broker and --cluster so that rsb starts (and may kill) the brokers itself.');
  }
  if (options.existing && options.isBaseline) {
    throw new UsageError('--baseline needs the self-started topology: the baseline runs straight at a mock rsb started', 'Leave out --broker and --cluster.');
  }
  const schedule = compileProfile(options.scenario.profile);
  if (schedule.totalRequests === 0) throw new UsageError('the profile sends no request', 'Give a rate above 0 and a duration.');
}

/** `1 broker and 1 mock instance`: what a self-started topology is about to start. */
function describeTopology(topology: TopologySpec): string {
  const mocks = topology.mocks.reduce((sum, mock) => sum + mock.instances, 0);
  return `${topology.brokers} broker${topology.brokers === 1 ? '' : 's'} and ${mocks} mock instance${mocks === 1 ? '' : 's'}`;
}

/** The first SIGINT/SIGTERM of the run: its name once it came, and the parts to stop at once when it does. */
class Interruption {
  signal: string | undefined;
  private readonly listeners = new Set<(signal: string) => void>();
  private isDisposed = false;

  constructor(interrupted: Promise<string> | undefined) {
    void interrupted?.then((signal) => {
      if (this.isDisposed) return;
      this.signal = signal;
      for (const listener of [...this.listeners]) listener(signal);
    });
  }

  /** Calls `listener` when the signal comes (at once if it came already); returns the unsubscribe. */
  subscribe(listener: (signal: string) => void): () => void {
    if (this.signal !== undefined) {
      listener(this.signal);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.isDisposed = true;
    this.listeners.clear();
  }
}

interface LegOptions extends RunLoadOptions {
  label: string;
  /** The leg in `--hdr-log` and `--metrics-port`: the measured run, or the baseline. */
  tag: MetricsLeg;
  targets: LoadTarget[];
  faults: FaultSpec[];
  topology: Topology;
  legIndex: number;
  legCount: number;
  interruption: Interruption;
  metrics: LoadMetricsServer | undefined;
  hdrLog: HdrIntervalLog | undefined;
}

interface LegOutcome {
  result: LegResult;
  timeline: TimelineRow[];
  histograms: RunHistograms;
  max: MaxResult | undefined;
}

/** Why the leg is being stopped, as asked: the moment and the figures of the stop are known once the generators have stopped. */
interface StopRequest {
  cause: StopCause;
  during: RunMoment;
  signal?: string;
  /** What ended it: the step that broke, or the thresholds that failed. */
  why?: string;
  thresholds?: ThresholdResult[];
}

async function runLeg(options: LegOptions): Promise<LegOutcome> {
  const { scenario, reporter, targets } = options;
  if (targets.length === 0) throw new UsageError(`nothing to send to ${options.label}`);
  const schedule = compileProfile(scenario.profile);
  // autocannon runs on this thread: one "worker" with all the connections.
  const workers = options.http ? 1 : scenario.workers;
  const connectionsPerTarget = Math.max(1, Math.round(scenario.connections / workers));
  const steps = new StepJudge(schedule, scenario);
  const abortThresholds = schedule.isStoppedAtFailure ? [] : scenario.thresholds.filter((threshold) => threshold.abortOnFail);
  let engine: LoadEngine | undefined;
  let moment: RunMoment = RUN_MOMENT.WARM_UP;
  let stopRequest: StopRequest | undefined;
  let startAt = Infinity;
  const stopEarly = (request: Omit<StopRequest, 'during'>, line: string): void => {
    if (stopRequest) return;
    stopRequest = { ...request, during: moment };
    reporter.event(line);
    engine?.stop();
  };
  let announced = 0;
  let judged = 0;
  let isRunning = true;
  const judgePhase = (index: number): void => {
    const phase = recorder.phaseResult(index);
    const verdict = steps.judge(phase);
    reporter.phaseDone(phase, verdict?.thresholds);
    if (verdict && !verdict.isHeld && isRunning) {
      const why = `${phase.name} broke: ${verdict.reasons.join('; ')}`;
      stopEarly({ cause: STOP_CAUSE.STEP_BROKE, why }, `stopping: ${why}`);
    }
  };
  const checkAborts = (row: TimelineRow): void => {
    const due = abortThresholds.filter((threshold) => row.atMs >= threshold.abortGraceMs);
    if (due.length === 0 || stopRequest || row.isDrain) return;
    // Figures so far; requests still in flight are not judged yet (neither answered nor a shortfall).
    const totals = recorder.totals();
    const inFlight = totals.sent - totals.answered;
    const input = { latency: row.runLatency, expected: Math.max(0, schedule.dueBy(row.atMs) - inFlight), sent: totals.answered, ok: totals.ok, errors: totals.answered - totals.ok, seconds: row.atMs / 1000 };
    const failed = evaluateThresholds(due, input).filter((threshold) => !threshold.isPassed);
    if (failed.length === 0) return;
    const why = failed.map((threshold) => `${threshold.threshold} failed on the figures so far (measured ${threshold.measured})`).join('; ');
    stopEarly({ cause: STOP_CAUSE.ABORTED, why, thresholds: failed }, `aborting at ${formatSeconds(row.atMs)}: ${why}`);
  };
  const recorder = new RunRecorder(
    schedule,
    labelMix(scenario.mix),
    targets,
    workers,
    (row) => {
      reporter.row(row);
      options.metrics?.row(options.tag, row);
      // Without step verdicts a phase is told as soon as its last row is in, with what was answered by then; steps
      // judged one by one wait a while past their end, so that their requests have had time to be answered.
      if (schedule.isStoppedAtFailure) {
        while (judged < row.phase && row.atMs >= schedule.phases[judged]!.endMs + PHASE_SETTLE_MS) judgePhase(judged++);
      } else {
        while (announced < schedule.phases.length && row.atMs >= schedule.phases[announced]!.endMs) reporter.phaseDone(recorder.phaseResult(announced++));
      }
      checkAborts(row);
    },
    options.hdrLog ? (fromMs, toMs, histogram) => options.hdrLog!.add(histogram, startAt, fromMs, toMs, options.tag === 'run' ? undefined : options.tag) : undefined,
  );
  options.metrics?.follow(options.tag, { corrected: recorder.corrected, lag: recorder.lag });
  reporter.startLeg({
    label: options.label,
    scenario: scenario.name,
    schedule,
    targets,
    workers,
    connectionsPerTarget,
    legIndex: options.legIndex,
    legCount: options.legCount,
    maxLagMs: scenario.maxLagMs,
    ...(options.http ? { pacing: HTTP_PACING_NOTE } : {}),
  });
  const plans: GeneratorPlan[] = Array.from({ length: workers }, (_, worker) => ({
    profile: scenario.profile,
    mix: scenario.mix,
    targets,
    connectionsPerTarget,
    timeoutMs: scenario.timeoutMs,
    worker,
    workers,
    intervalMs: INTERVAL_MS,
    appName: 'rsb-load',
    ...(options.token ? { token: options.token } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(scenario.keepaliveLifetimeMs !== undefined ? { keepaliveLifetimeMs: scenario.keepaliveLifetimeMs } : {}),
    seed: 1 + worker,
    warmupMs: scenario.warmupMs,
    pacingMs: scenario.pacingMs,
  }));
  const connectionEvents: ConnectionEvent[] = [];
  const sink = {
    onInterval: (snapshot: IntervalSnapshot) => recorder.add(snapshot),
    onPoolEvent: (event: PoolEvent) => {
      connectionEvents.push({ atMs: performance.timeOrigin + performance.now() - startAt, target: event.target, isRestored: event.kind === 'connection-restored' });
      reporter.connection(event.target, event.kind === 'connection-restored', event.message);
    },
  };
  // Interrupted before this leg began (while the topology started, or in the baseline before it): nothing is started, nothing sent.
  if (options.interruption.signal !== undefined) stopRequest = { cause: STOP_CAUSE.INTERRUPTED, signal: options.interruption.signal, during: RUN_MOMENT.STARTING };
  engine = stopRequest
    ? undefined
    : options.http
      ? new HttpLoadEngine({ request: options.http, profile: scenario.profile, connections: connectionsPerTarget, timeoutMs: scenario.timeoutMs, intervalMs: INTERVAL_MS, warmupMs: scenario.warmupMs }, sink)
      : startGenerators(plans, sink, options.isInThread ?? false);
  const unsubscribe = options.interruption.subscribe((signal) =>
    stopEarly(
      { cause: STOP_CAUSE.INTERRUPTED, signal },
      moment === RUN_MOMENT.WARM_UP ? `stopping on ${signal}: ending the warm-up; nothing will be measured` : `stopping on ${signal}: no more requests; waiting for those in flight`,
    ),
  );
  const startedAt = performance.now();
  let warmup: WarmupCounts | undefined;
  let hasRun = false;
  let faults: ScheduledFaults | undefined;
  let drainNotice: NodeJS.Timeout | undefined;
  let cpu: LegCpuWatch | undefined;
  try {
    if (engine && !stopRequest) {
      reporter.warmingUp(scenario.warmupMs);
      warmup = await engine.prepare();
    }
    if (engine && !stopRequest) {
      startAt = performance.timeOrigin + performance.now() + START_DELAY_MS;
      moment = RUN_MOMENT.RUN;
      reporter.measuring(startAt, toWarmupResult(warmup ?? createWarmupCounts(), scenario.warmupMs));
      faults = scheduleFaults(options.faults, options.topology, startAt, reporter);
      drainNotice = setTimeout(
        () => {
          moment = RUN_MOMENT.DRAINING;
          const inFlight = recorder.timeline.at(-1)?.inFlight;
          reporter.event(`schedule sent in full at ${formatSeconds(schedule.durationMs)}: waiting up to ${formatSeconds(scenario.timeoutMs)} (--timeout) for the answers still in flight${inFlight ? ` (${formatCount(inFlight)} at the last count)` : ''}`);
        },
        startAt + schedule.durationMs + DRAIN_NOTICE_MS - (performance.timeOrigin + performance.now()),
      );
      hasRun = true;
      cpu = watchLegCpu(isThroughBrokers(options) ? watchedBrokers(options) : [], watchedMocks(options));
      await engine.run(startAt);
      cpu.stop();
    }
  } finally {
    isRunning = false;
    unsubscribe();
    clearTimeout(drainNotice);
    await faults?.settle();
    await engine?.close();
  }
  const elapsedMs = hasRun ? performance.now() - startedAt - START_DELAY_MS : 0;
  const figures = recorder.figures();
  // Sending stopped at the generators' own clock; a stop asked after the schedule was sent found them draining.
  const stop = stopRequest ? describeStop(stopRequest, hasRun, figures.stoppedAtMs, schedule.durationMs) : undefined;
  const ranForMs = hasRun ? (stop && stop.during === RUN_MOMENT.RUN ? stop.atMs : schedule.durationMs) : 0;
  if (schedule.isStoppedAtFailure) {
    for (; judged < schedule.phases.length; judged++) {
      // A phase cut short by the stop is not judged: it did not run its course.
      if (schedule.phases[judged]!.endMs > ranForMs) break;
      judgePhase(judged);
    }
  } else {
    for (; announced < schedule.phases.length && schedule.phases[announced]!.endMs <= ranForMs; announced++) reporter.phaseDone(recorder.phaseResult(announced));
  }
  const seconds = ranForMs / 1000;
  const lagP99Us = figures.latency.scheduleLag?.p99Us ?? 0;
  const reasons: string[] = [];
  if (lagP99Us > scenario.maxLagMs * 1000) {
    reasons.push(`1% of requests left more than ${formatMicros(lagP99Us)} after their intended time (schedule lag p99 above ${formatMicros(scenario.maxLagMs * 1000)}): the generator could not keep its schedule`);
  }
  const result: LegResult = {
    label: options.label,
    targets: targets.map((target) => `${target.name} ${target.host}:${target.port}`),
    profile: { kind: schedule.kind, durationMs: roundTo(schedule.durationMs, 3), phases: schedule.phases.length },
    workers,
    connectionsPerTarget,
    elapsedMs: roundTo(elapsedMs, 3),
    ranForMs: roundTo(ranForMs, 3),
    ...(stop ? { stop } : {}),
    requests: { expected: figures.expected, sent: figures.sent, ok: figures.ok, errors: figures.errors },
    warmup: toWarmupResult(warmup ?? createWarmupCounts(), scenario.warmupMs),
    targetPerSecond: seconds > 0 ? roundTo(figures.expected / seconds, 2) : 0,
    achievedPerSecond: seconds > 0 ? roundTo(figures.ok / seconds, 2) : 0,
    achievedPercent: figures.expected > 0 ? roundTo((figures.ok / figures.expected) * 100, 4) : 0,
    outcomes: figures.outcomes,
    latency: figures.latency,
    ...(options.isSpectrumShown ? { latencySpectrum: readSpectrum(recorder.corrected) } : {}),
    phases: figures.phases.map((phase) => ({ ...phase, ...(steps.verdicts.has(phase.index) ? { thresholds: steps.verdicts.get(phase.index)!.thresholds } : {}) })),
    routes: figures.routes,
    brokers: figures.brokers,
    errorSamples: figures.errorSamples,
    health: figures.health,
    validity: { isValid: reasons.length === 0, reasons },
    ...(options.http ? { pacing: HTTP_PACING_NOTE } : {}),
    faults: (faults?.results ?? []).map((fault) => measureFault(fault, options.faults, recorder.timeline, connectionEvents)),
    ...(cpu ? { cpu: cpu.price(countLegRequests(figures, options)) } : {}),
  };
  reporter.endLeg(result);
  return { result, timeline: recorder.timeline, histograms: recorder.histograms(), max: schedule.isStoppedAtFailure ? steps.summarize() : undefined };
}

/** What stopped the leg, where and when, in one sentence: `interrupted at 3.7 s of 30 s (SIGINT)`. */
function describeStop(request: StopRequest, hasRun: boolean, stoppedAtMs: number, durationMs: number): EarlyStop {
  const during = !hasRun ? (request.during === RUN_MOMENT.STARTING ? RUN_MOMENT.STARTING : RUN_MOMENT.WARM_UP) : stoppedAtMs >= 0 ? RUN_MOMENT.RUN : RUN_MOMENT.DRAINING;
  const atMs = during === RUN_MOMENT.RUN ? stoppedAtMs : during === RUN_MOMENT.DRAINING ? durationMs : 0;
  const of = `${formatSeconds(atMs)} of ${formatSeconds(durationMs)}`;
  const signal = request.signal ? ` (${request.signal})` : '';
  let reason: string;
  switch (request.cause) {
    case STOP_CAUSE.INTERRUPTED:
      reason =
        during === RUN_MOMENT.STARTING
          ? `interrupted while starting${signal}: nothing was sent`
          : during === RUN_MOMENT.WARM_UP
            ? `interrupted during the warm-up${signal}: nothing was measured`
            : during === RUN_MOMENT.DRAINING
              ? `interrupted at ${of}${signal}, while waiting for the answers still in flight: every request was sent`
              : `interrupted at ${of}${signal}`;
      break;
    case STOP_CAUSE.ABORTED:
      reason = `aborted at ${of}: ${request.why}`;
      break;
    case STOP_CAUSE.STEP_BROKE:
      reason = `stopped at ${of}: ${request.why}`;
      break;
  }
  return { cause: request.cause, during, atMs: roundTo(atMs, 3), ...(request.signal ? { signal: request.signal } : {}), reason, ...(request.thresholds ? { thresholds: request.thresholds } : {}) };
}

function toWarmupResult(counts: WarmupCounts, durationMs: number): WarmupResult {
  const outcomes = toOutcomeCounts(counts.outcomes, 0);
  const ok = outcomes.OK ?? 0;
  return { durationMs, sent: counts.sent, ok, errors: countAnswered(outcomes) - ok, outcomes };
}

/** A fault of the leg kills or restarts it (a partition or a bandwidth cap leaves the process as it is). */
function isFaulted(options: LegOptions, kind: 'broker' | 'mock', index: number): boolean {
  return options.faults.some((fault) => fault.kind === kind && fault.index === index && (fault.action === 'kill' || fault.action === 'restart'));
}

/** The leg goes through the topology's brokers (not straight at the mocks, as a baseline does). */
function isThroughBrokers(options: LegOptions): boolean {
  return options.targets.every((target, i) => target === options.topology.brokers[i]);
}

/** The brokers rsb started, in target order (broker-N), for their CPU time. */
function watchedBrokers(options: LegOptions): WatchedProcess[] {
  const pids = options.topology.brokerPids();
  return options.topology.brokers.map((broker, index) => ({ name: broker.name, pid: pids[index], isFaulted: isFaulted(options, 'broker', index) }));
}

/** The mock instances rsb started (mock-N), for their CPU time. */
function watchedMocks(options: LegOptions): WatchedProcess[] {
  return options.topology.mockPids().map((pid, index) => ({ name: `mock-${index + 1}`, pid, isFaulted: isFaulted(options, 'mock', index) }));
}

/**
 * What each process handled: every request sent by this one; per broker, every request
 * that went through it, whatever its outcome; per mock instance, the answers of its service
 * (OK or an application error: what reached a mock) shared evenly among that service's
 * instances, which the brokers balance round-robin.
 */
function countLegRequests(figures: RunFigures, options: LegOptions): LegRequests {
  const served = (outcomes: OutcomeCounts): number => (outcomes.OK ?? 0) + (outcomes.APPLICATION_ERROR ?? 0);
  const servedByService = new Map<string, number>();
  figures.routes.forEach((route, entry) => {
    const key = serviceKeyOf(options.scenario.mix[entry]?.route ?? '');
    if (key !== undefined) servedByService.set(key, (servedByService.get(key) ?? 0) + served(route.outcomes));
  });
  const instancesOf = (service: string): number => options.scenario.topology.mocks.filter((mock) => mock.service === service).reduce((sum, mock) => sum + mock.instances, 0);
  const mocks = options.scenario.topology.mocks.flatMap((mock) => Array.from({ length: mock.instances }, () => (servedByService.get(mock.service) ?? 0) / Math.max(1, instancesOf(mock.service))));
  return { sent: figures.sent, brokers: isThroughBrokers(options) ? figures.brokers.map((broker) => countAnswered(broker.outcomes)) : [], mocks };
}

function serviceKeyOf(route: string): string | undefined {
  try {
    return parseRoute(route).serviceKey;
  } catch (error) {
    if (error instanceof ProtocolError) return undefined;
    throw error;
  }
}

/**
 * For profiles that step up until something breaks: each finished step is judged on
 * its own figures — its thresholds, and whether the generator kept its schedule.
 */
class StepJudge {
  readonly verdicts = new Map<number, { isHeld: boolean; thresholds: ThresholdResult[]; reasons: string[]; isGeneratorLimit: boolean }>();

  constructor(
    private readonly schedule: Schedule,
    private readonly scenario: LoadScenario,
  ) {}

  judge(phase: PhaseResult): { isHeld: boolean; thresholds: ThresholdResult[]; reasons: string[] } | undefined {
    if (!this.schedule.isStoppedAtFailure || this.verdicts.has(phase.index)) return this.verdicts.get(phase.index);
    const seconds = (phase.endMs - phase.startMs) / 1000;
    const thresholds = evaluateThresholds(this.scenario.thresholds, { latency: phase.latency, expected: phase.expected, sent: phase.sent, ok: phase.ok, errors: phase.errors, seconds });
    const reasons = thresholds.filter((threshold) => !threshold.isPassed).map((threshold) => `${threshold.threshold} (measured ${threshold.measured})`);
    const lagP99 = phase.lag?.p99Us ?? 0;
    const isGeneratorLimit = lagP99 > this.scenario.maxLagMs * 1000;
    if (isGeneratorLimit) reasons.unshift(`schedule lag p99 ${formatMicros(lagP99)}: the generator could not keep up`);
    const verdict = { isHeld: reasons.length === 0, thresholds, reasons, isGeneratorLimit };
    this.verdicts.set(phase.index, verdict);
    return verdict;
  }

  summarize(): MaxResult {
    let held: PhaseResult | undefined;
    for (const phase of this.schedule.phases) {
      const verdict = this.verdicts.get(phase.index);
      if (!verdict) break;
      if (!verdict.isHeld) {
        return {
          highestRate: held?.targetPerSecond,
          highestStep: held?.name,
          limitedBy: verdict.isGeneratorLimit ? 'generator' : 'thresholds',
          brokenStep: { name: phase.name, rate: phase.fromRate, reasons: verdict.reasons },
        };
      }
      held = { targetPerSecond: phase.fromRate, name: phase.name } as PhaseResult;
    }
    return { highestRate: held?.targetPerSecond, highestStep: held?.name, limitedBy: 'none' };
  }
}

/** The whole leg, over the time it ran: a stopped run is judged on what the schedule called for until it stopped. */
function toThresholdInput(leg: LegResult): ThresholdInput {
  return { latency: leg.latency.corrected, expected: leg.requests.expected, sent: leg.requests.sent, ok: leg.requests.ok, errors: leg.requests.errors, seconds: leg.ranForMs / 1000 };
}

function measureOverhead(baseline: LegResult, run: LegResult): LoadResult['overhead'] {
  const a = baseline.latency.corrected;
  const b = run.latency.corrected;
  if (!a || !b) return undefined;
  return { p50Us: b.p50Us - a.p50Us, p90Us: b.p90Us - a.p90Us, p99Us: b.p99Us - a.p99Us, p999Us: b.p999Us - a.p999Us, maxUs: b.maxUs - a.maxUs };
}

interface ScheduledFaults {
  results: { spec: FaultSpec; firedAtMs: number | undefined; doneAtMs: number | undefined; error?: string }[];
  /** Cancels faults not yet fired, and waits for those under way (a restart takes a second or two). */
  settle(): Promise<void>;
}

/** What a fault does to the topology, and what is said once it is done. */
function applyFault(spec: FaultSpec, topology: Topology): { action: Promise<void>; done: string } {
  switch (spec.action) {
    case 'kill':
      return { action: topology.kill(spec.kind, spec.index), done: `${spec.target} killed` };
    case 'restart':
      return { action: topology.restart(spec.kind, spec.index), done: `${spec.target} restarted` };
    case 'partition':
      return { action: topology.partition(spec.index, spec.durationMs ?? 0), done: `${spec.target} healed: its link is up again` };
    case 'bandwidth':
      return { action: topology.capBandwidth(spec.index, spec.rate ?? '', spec.durationMs), done: `${spec.target} ${spec.durationMs === undefined ? `capped at ${spec.rate}` : 'no longer capped'}` };
  }
}

/** `partition broker-2 for 5.0 s`: a fault as the report names it. */
function describeFaultAction(spec: FaultSpec): string {
  const extra = spec.action === 'bandwidth' ? ` at ${spec.rate}` : '';
  return `${spec.action} ${spec.target}${extra}${spec.durationMs !== undefined ? ` for ${(spec.durationMs / 1000).toFixed(1)} s` : ''}`;
}

/** Fires each fault at its time on the leg's clock (kill or restart a broker or mock instance, partition or slow a broker's host). */
function scheduleFaults(faults: FaultSpec[], topology: Topology, startAtEpochMs: number, reporter: LoadReporter): ScheduledFaults {
  const results: ScheduledFaults['results'] = faults.map((spec) => ({ spec, firedAtMs: undefined, doneAtMs: undefined }));
  const underWay: Promise<void>[] = [];
  const timers = results.map((entry) =>
    setTimeout(
      () => {
        entry.firedAtMs = performance.timeOrigin + performance.now() - startAtEpochMs;
        reporter.event(`fault at ${(entry.spec.atMs / 1000).toFixed(1)} s: ${describeFaultAction(entry.spec)}`);
        const { action, done } = applyFault(entry.spec, topology);
        const settled = action.then(
          () => {
            entry.doneAtMs = performance.timeOrigin + performance.now() - startAtEpochMs;
            reporter.event(done);
          },
          (error: unknown) => {
            entry.error = error instanceof Error ? error.message : String(error);
            reporter.event(`! fault ${entry.spec.action} ${entry.spec.target} failed: ${entry.error}`);
          },
        );
        underWay.push(settled);
      },
      Math.max(0, startAtEpochMs + entry.spec.atMs - (performance.timeOrigin + performance.now())),
    ),
  );
  return {
    results,
    settle: async () => {
      timers.forEach((timer) => clearTimeout(timer));
      await Promise.all(underWay);
    },
  };
}

/** Errors closer together than this belong to one burst; this long without one after it, the run has recovered. */
const QUIET_MS = 1_000;

/**
 * The error window a fault caused: the burst of errors from the fault on (errors less than
 * QUIET_MS apart, and before the next fault), to the millisecond by the first and last
 * error the generators saw in each row. Recovered once QUIET_MS passed without an error
 * (or the next fault came first); not recovered if errors ran on to the end of the run.
 */
function measureFault(entry: ScheduledFaults['results'][number], faults: FaultSpec[], timeline: TimelineRow[], connections: readonly ConnectionEvent[]): FaultResult {
  const { spec, firedAtMs, doneAtMs } = entry;
  const base = {
    target: spec.target,
    action: spec.action,
    atMs: spec.atMs,
    firedAtMs: firedAtMs === undefined ? undefined : roundTo(firedAtMs, 3),
    doneAtMs: doneAtMs === undefined ? undefined : roundTo(doneAtMs, 3),
    ...(entry.error ? { error: entry.error } : {}),
  };
  if (firedAtMs === undefined) return { ...base, errorWindow: undefined, recoveredAfterMs: undefined };
  const nextFaultAt = Math.min(...faults.filter((other) => other.atMs > spec.atMs).map((other) => other.atMs), Infinity);
  if (spec.action !== 'partition' || doneAtMs === undefined) return { ...base, ...measureErrorWindow(firedAtMs, nextFaultAt, timeline) };
  // A partition is two events: the cut (its connections found dead by keepalive) and the heal (reconnected, the mocks registered again).
  const lost = connections.find((event) => event.target === spec.index && !event.isRestored && event.atMs >= firedAtMs);
  const restored = connections.find((event) => event.target === spec.index && event.isRestored && event.atMs >= doneAtMs);
  const heal = measureErrorWindow(doneAtMs, nextFaultAt, timeline);
  return {
    ...base,
    ...measureErrorWindow(firedAtMs, Math.min(doneAtMs, nextFaultAt), timeline),
    partition: {
      lostAfterMs: lost === undefined ? undefined : roundTo(lost.atMs - firedAtMs, 3),
      healErrorWindow: heal.errorWindow,
      // Back in rotation once the generator reconnected and the errors after the heal (no instance registered yet) were over.
      backAfterHealMs: restored === undefined || heal.recoveredAfterMs === undefined ? undefined : roundTo(Math.max(restored.atMs - doneAtMs, heal.recoveredAfterMs), 3),
    },
  };
}

/** The burst of errors from `fromMs` on, before `untilMs`; see measureFault. */
function measureErrorWindow(firedAtMs: number, nextFaultAt: number, timeline: TimelineRow[]): Pick<FaultResult, 'errorWindow' | 'recoveredAfterMs'> {
  let fromMs: number | undefined;
  let toMs = 0;
  let errors = 0;
  for (const row of timeline) {
    if (row.lastErrorAtMs < firedAtMs) continue;
    const startsAt = Math.max(firedAtMs, row.firstErrorAtMs);
    if (startsAt >= nextFaultAt || (fromMs !== undefined && startsAt - toMs > QUIET_MS)) break;
    fromMs ??= startsAt;
    toMs = row.lastErrorAtMs;
    errors += Object.values(row.errors).reduce((sum, count) => sum + (count ?? 0), 0);
  }
  if (fromMs === undefined) return { errorWindow: undefined, recoveredAfterMs: 0 };
  const runEnd = timeline.at(-1)?.atMs ?? toMs;
  const isRecovered = toMs + QUIET_MS <= runEnd || nextFaultAt <= runEnd;
  return { errorWindow: { fromMs: roundTo(fromMs, 3), toMs: roundTo(toMs, 3), errors }, recoveredAfterMs: isRecovered ? roundTo(toMs - firedAtMs, 3) : undefined };
}

/** The one target of an HTTP run, named for the report. */
function httpTarget(url: string): LoadTarget {
  const parsed = new URL(url);
  return { name: 'http', host: parsed.hostname, port: Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80) };
}

/** The scenario's single mix entry named after the request, e.g. `POST /svc/echo`. */
function asHttpScenario(scenario: LoadScenario, http: HttpRequestSpec): LoadScenario {
  const first = scenario.mix[0]!;
  return { ...scenario, mix: [{ ...first, route: `${http.method} ${new URL(http.url).pathname}`, weight: 1 }] };
}
