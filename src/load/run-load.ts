import type { TlsClientFiles } from '../client/index.js';
import { writeFile } from 'node:fs/promises';
import { EXIT_CODE } from '../cli/exit-codes.js';
import { formatMicros } from '../cli/format.js';
import { UsageError } from '../errors.js';
import type { LoadTarget, PoolEvent } from './connection-pool.js';
import type { GeneratorPlan, IntervalSnapshot } from './generator.js';
import { startGenerators, type LoadEngine } from './generator-host.js';
import { HTTP_PACING_NOTE, HttpLoadEngine, type HttpRequestSpec } from './http-engine.js';
import { compileProfile, type Schedule } from './profile.js';
import { renderHtmlReport } from './report-html.js';
import type { LoadReporter } from './reporter.js';
import { labelMix } from './request-mix.js';
import { LOAD_VERDICT, type FaultResult, type LegResult, type LoadResult, type LoadResultFile, type LoadVerdict, type MaxResult } from './results.js';
import { RunRecorder, type PhaseResult, type RunHistograms, type TimelineRow } from './run-recorder.js';
import type { FaultSpec, LoadScenario } from './scenario.js';
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
  /** Generators on this thread rather than worker threads (tests from the sources). */
  isInThread?: boolean;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM): the run stops sending, drains and reports. */
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

/**
 * The one call behind `rsb load`: starts (or finds) the topology, runs the profile —
 * first at the mocks' direct listeners with `--baseline` — evaluates thresholds, writes
 * `--out` and `--report`, and tears down what it started, whatever happens.
 */
export async function runLoad(given: RunLoadOptions): Promise<LoadResult> {
  validateBeforeRun(given);
  const options = given.http ? { ...given, scenario: asHttpScenario(given.scenario, given.http) } : given;
  const { scenario, reporter } = options;
  let interruption: string | undefined;
  void options.interrupted?.then((reason) => (interruption = reason));
  const topology: Topology = options.http
    ? useExistingBrokers([httpTarget(options.http.url)])
    : options.existing
      ? useExistingBrokers(await findExistingBrokers({ ...options.existing, tls: options.tls }))
      : await startTopology(scenario.topology, { isDirectNeeded: options.isBaseline, log: (line) => reporter.event(line) });
  const detail: LoadResultFile['detail'] = [];
  let baseline: LegResult | undefined;
  let run: LegResult;
  let max: MaxResult | undefined;
  try {
    options.onTopology?.(topology);
    if (options.isBaseline) {
      const leg = await runLeg({ ...options, label: 'baseline (no broker)', targets: [...topology.direct], faults: [], topology, legIndex: 0, legCount: 2, isInterrupted: () => interruption });
      baseline = leg.result;
      detail.push({ label: leg.result.label, timeline: leg.timeline, histograms: leg.histograms });
    }
    const leg = await runLeg({
      ...options,
      label: options.http ? `HTTP at ${options.http.url}` : topology.brokers.length > 1 ? `through ${topology.brokers.length} brokers` : 'through the broker',
      targets: [...topology.brokers],
      faults: scenario.faults,
      topology,
      legIndex: options.isBaseline ? 1 : 0,
      legCount: options.isBaseline ? 2 : 1,
      isInterrupted: () => interruption,
    });
    run = leg.result;
    max = leg.max;
    detail.push({ label: leg.result.label, timeline: leg.timeline, histograms: leg.histograms });
  } finally {
    await topology.stop();
  }
  // Steps judged one by one (the max scenario) carry their verdicts; otherwise the thresholds judge the whole run.
  const thresholds = max ? [] : evaluateThresholds(scenario.thresholds, toThresholdInput(run));
  const verdict = judgeRun([baseline, run], thresholds, max);
  const result: LoadResult = {
    scenario: scenario.name,
    ...(scenario.description ? { description: scenario.description } : {}),
    verdict,
    exitCode: EXIT_CODE_OF_VERDICT[verdict],
    thresholds,
    run,
    ...(baseline ? { baseline, overhead: measureOverhead(baseline, run) } : {}),
    ...(max ? { max } : {}),
    files: { ...(options.outFile ? { out: options.outFile } : {}), ...(options.reportFile ? { report: options.reportFile } : {}) },
  };
  if (options.outFile) await writeFile(options.outFile, `${JSON.stringify({ ...result, detail } satisfies LoadResultFile, null, 2)}\n`);
  if (options.reportFile) await writeFile(options.reportFile, renderHtmlReport({ ...result, detail }));
  await reporter.finish(result);
  return result;
}

const EXIT_CODE_OF_VERDICT = {
  [LOAD_VERDICT.PASSED]: EXIT_CODE.OK,
  [LOAD_VERDICT.THRESHOLDS_FAILED]: EXIT_CODE.THRESHOLDS_FAILED,
  [LOAD_VERDICT.INVALID_RUN]: EXIT_CODE.INVALID_RUN,
} as const;

/**
 * An invalid run (the generator could not keep its schedule) says nothing of the broker,
 * so it wins over thresholds. Climbing steps pass when some step held; when none did,
 * the first step's breaking decides: the generator (invalid) or a threshold.
 */
function judgeRun(legs: (LegResult | undefined)[], thresholds: ThresholdResult[], max: MaxResult | undefined): LoadVerdict {
  if (max) {
    if (max.highestRate !== undefined) return LOAD_VERDICT.PASSED;
    return max.limitedBy === 'generator' ? LOAD_VERDICT.INVALID_RUN : LOAD_VERDICT.THRESHOLDS_FAILED;
  }
  if (legs.some((leg) => leg !== undefined && !leg.validity.isValid)) return LOAD_VERDICT.INVALID_RUN;
  return thresholds.every((threshold) => threshold.isPassed) ? LOAD_VERDICT.PASSED : LOAD_VERDICT.THRESHOLDS_FAILED;
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

interface LegOptions extends RunLoadOptions {
  label: string;
  targets: LoadTarget[];
  faults: FaultSpec[];
  topology: Topology;
  legIndex: number;
  legCount: number;
  isInterrupted: () => string | undefined;
}

interface LegOutcome {
  result: LegResult;
  timeline: TimelineRow[];
  histograms: RunHistograms;
  max: MaxResult | undefined;
}

async function runLeg(options: LegOptions): Promise<LegOutcome> {
  const { scenario, reporter, targets } = options;
  if (targets.length === 0) throw new UsageError(`nothing to send to ${options.label}`);
  const schedule = compileProfile(scenario.profile);
  // autocannon runs on this thread: one "worker" with all the connections.
  const workers = options.http ? 1 : scenario.workers;
  const connectionsPerTarget = Math.max(1, Math.round(scenario.connections / workers));
  const steps = new StepJudge(schedule, scenario);
  let engine: LoadEngine | undefined;
  let stoppedEarly: string | undefined;
  /** Schedule time at which sending stopped early. */
  let stoppedAtMs = Infinity;
  let startAt = Infinity;
  const stopEarly = (reason: string, line: string): void => {
    stoppedEarly = reason;
    stoppedAtMs = Math.max(0, performance.timeOrigin + performance.now() - startAt);
    reporter.event(line);
    engine?.stop();
  };
  let lastPhase = 0;
  const recorder = new RunRecorder(schedule, labelMix(scenario.mix), targets, workers, (row) => {
    reporter.row(row);
    // A phase is judged once the rows are a while past its end, so that its requests have had time to be answered.
    while (lastPhase < row.phase && row.atMs >= schedule.phases[lastPhase]!.endMs + PHASE_SETTLE_MS) finishPhase(lastPhase++);
  });
  let isRunning = true;
  const finishPhase = (index: number): void => {
    const phase = recorder.phaseResult(index);
    const verdict = steps.judge(phase);
    reporter.phaseDone(phase, verdict?.thresholds);
    if (verdict && !verdict.isHeld && !stoppedEarly && isRunning) {
      const reason = `${phase.name} broke: ${verdict.reasons.join('; ')}`;
      stopEarly(reason, `stopping: ${reason}`);
    }
  };
  reporter.startLeg({ label: options.label, scenario: scenario.name, schedule, targets, workers, connectionsPerTarget, legIndex: options.legIndex, legCount: options.legCount, ...(options.http ? { pacing: HTTP_PACING_NOTE } : {}) });
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
    seed: 1 + worker,
    warmupMs: scenario.warmupMs,
  }));
  const sink = {
    onInterval: (snapshot: IntervalSnapshot) => recorder.add(snapshot),
    onPoolEvent: (event: PoolEvent) => reporter.connection(event.target, event.kind === 'connection-restored', event.message),
  };
  engine = options.http
    ? await HttpLoadEngine.start(
        { request: options.http, profile: scenario.profile, connections: connectionsPerTarget, timeoutMs: scenario.timeoutMs, intervalMs: INTERVAL_MS, warmupMs: scenario.warmupMs },
        sink,
      )
    : await startGenerators(plans, sink, options.isInThread ?? false);
  startAt = performance.timeOrigin + performance.now() + START_DELAY_MS;
  const faults = scheduleFaults(options.faults, options.topology, startAt, reporter);
  const watch = setInterval(() => {
    const reason = options.isInterrupted();
    if (reason && !stoppedEarly) stopEarly(`stopped on ${reason}`, `stopping on ${reason}: no more requests; waiting for those in flight`);
  }, 100);
  const startedAt = performance.now();
  try {
    await engine.run(startAt);
  } finally {
    isRunning = false;
    clearInterval(watch);
    await faults.settle();
    await engine.close();
  }
  const elapsedMs = performance.now() - startedAt - START_DELAY_MS;
  const ranForMs = Math.min(stoppedAtMs, schedule.durationMs);
  for (; lastPhase < schedule.phases.length; lastPhase++) {
    // A phase cut short by the stop is not judged: it did not run its course.
    if (schedule.phases[lastPhase]!.endMs > ranForMs) break;
    finishPhase(lastPhase);
  }
  const figures = recorder.figures();
  const expected = stoppedEarly ? Math.min(schedule.totalRequests, Math.round(schedule.expectedBy(ranForMs))) : schedule.totalRequests;
  const seconds = ranForMs / 1000;
  const lagP99Us = figures.latency.scheduleLag?.p99 ?? 0;
  const reasons: string[] = [];
  if (lagP99Us > scenario.maxLagMs * 1000) {
    reasons.push(`1% of requests left more than ${formatMicros(lagP99Us)} after their intended time (schedule lag p99 above ${formatMicros(scenario.maxLagMs * 1000)}): the generator could not keep its schedule`);
  }
  const result: LegResult = {
    label: options.label,
    targets: targets.map((target) => `${target.name} ${target.host}:${target.port}`),
    profile: { kind: schedule.kind, durationMs: schedule.durationMs, phases: schedule.phases.length },
    workers,
    connectionsPerTarget,
    elapsedMs,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    requests: { expected, sent: figures.sent, ok: figures.ok, errors: figures.errors },
    targetRate: seconds > 0 ? expected / seconds : 0,
    achievedRate: seconds > 0 ? figures.ok / seconds : 0,
    achievedPercent: expected > 0 ? (figures.ok / expected) * 100 : 0,
    outcomes: figures.outcomes,
    latency: figures.latency,
    phases: figures.phases.map((phase) => ({ ...phase, ...(steps.verdicts.has(phase.index) ? { thresholds: steps.verdicts.get(phase.index)!.thresholds } : {}) })),
    routes: figures.routes,
    brokers: figures.brokers,
    errorSamples: figures.errorSamples,
    health: figures.health,
    validity: { isValid: reasons.length === 0, reasons },
    ...(options.http ? { pacing: HTTP_PACING_NOTE } : {}),
    faults: faults.results.map((fault) => measureFault(fault, options.faults, recorder.timeline)),
  };
  reporter.endLeg(result);
  return { result, timeline: recorder.timeline, histograms: recorder.histograms(), max: schedule.isStoppedAtFailure ? steps.summarize() : undefined };
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
    const lagP99 = phase.lag?.p99 ?? 0;
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
          highestRate: held?.targetRate,
          highestStep: held?.name,
          limitedBy: verdict.isGeneratorLimit ? 'generator' : 'thresholds',
          brokenStep: { name: phase.name, rate: phase.fromRate, reasons: verdict.reasons },
        };
      }
      held = { targetRate: phase.fromRate, name: phase.name } as PhaseResult;
    }
    return { highestRate: held?.targetRate, highestStep: held?.name, limitedBy: 'none' };
  }
}

function toThresholdInput(leg: LegResult): ThresholdInput {
  return { latency: leg.latency.corrected, expected: leg.requests.expected, sent: leg.requests.sent, ok: leg.requests.ok, errors: leg.requests.errors, seconds: leg.requests.expected / Math.max(1e-9, leg.targetRate) };
}

function measureOverhead(baseline: LegResult, run: LegResult): LoadResult['overhead'] {
  const a = baseline.latency.corrected;
  const b = run.latency.corrected;
  if (!a || !b) return undefined;
  return { p50: b.p50 - a.p50, p90: b.p90 - a.p90, p99: b.p99 - a.p99, p999: b.p999 - a.p999, max: b.max - a.max };
}

interface ScheduledFaults {
  results: { spec: FaultSpec; firedAtMs: number | undefined; doneAtMs: number | undefined; error?: string }[];
  /** Cancels faults not yet fired, and waits for those under way (a restart takes a second or two). */
  settle(): Promise<void>;
}

/** Fires each fault at its time on the leg's clock (kill or restart a broker or mock instance). */
function scheduleFaults(faults: FaultSpec[], topology: Topology, startAtEpochMs: number, reporter: LoadReporter): ScheduledFaults {
  const results: ScheduledFaults['results'] = faults.map((spec) => ({ spec, firedAtMs: undefined, doneAtMs: undefined }));
  const underWay: Promise<void>[] = [];
  const timers = results.map((entry) =>
    setTimeout(
      () => {
        entry.firedAtMs = performance.timeOrigin + performance.now() - startAtEpochMs;
        reporter.event(`fault at ${(entry.spec.atMs / 1000).toFixed(1)} s: ${entry.spec.action} ${entry.spec.target}`);
        const action = entry.spec.action === 'kill' ? topology.kill(entry.spec.kind, entry.spec.index) : topology.restart(entry.spec.kind, entry.spec.index);
        const settled = action.then(
          () => {
            entry.doneAtMs = performance.timeOrigin + performance.now() - startAtEpochMs;
            reporter.event(`${entry.spec.target} ${entry.spec.action === 'kill' ? 'killed' : 'restarted'}`);
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
function measureFault(entry: ScheduledFaults['results'][number], faults: FaultSpec[], timeline: TimelineRow[]): FaultResult {
  const { spec, firedAtMs, doneAtMs } = entry;
  const base = { target: spec.target, action: spec.action, atMs: spec.atMs, firedAtMs, doneAtMs, ...(entry.error ? { error: entry.error } : {}) };
  if (firedAtMs === undefined) return { ...base, errorWindow: undefined, recoveredAfterMs: undefined };
  const nextFaultAt = Math.min(...faults.filter((other) => other.atMs > spec.atMs).map((other) => other.atMs), Infinity);
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
  if (fromMs === undefined) return { ...base, errorWindow: undefined, recoveredAfterMs: 0 };
  const runEnd = timeline.at(-1)?.atMs ?? toMs;
  const isRecovered = toMs + QUIET_MS <= runEnd || nextFaultAt <= runEnd;
  return { ...base, errorWindow: { fromMs, toMs, errors }, recoveredAfterMs: isRecovered ? toMs - firedAtMs : undefined };
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
