import { describe, expect, it } from 'vitest';
import { createLoadReporter } from '../../src/load/index.js';
import { LiveLoadReporter } from '../../src/load/live-reporter.js';
import { createLiveView } from '../../src/ui/index.js';
import { compileProfile, PROFILE_KIND } from '../../src/load/profile.js';
import type { LoadReporter } from '../../src/load/reporter.js';
import type { LoadResult } from '../../src/load/results.js';
import type { PhaseResult, TimelineRow } from '../../src/load/run-recorder.js';

const schedule = compileProfile({ kind: PROFILE_KIND.STEPS, steps: [{ rate: 1000, durationMs: 2000 }, { rate: 2000, durationMs: 2000 }] });
const targets = [{ name: 'broker-1', host: '127.0.0.1', port: 9999 }];

const ROW: TimelineRow = {
  atMs: 3_000,
  seconds: 1,
  phase: 1,
  isDrain: false,
  targetRate: 2000,
  sentRate: 2000,
  okRate: 1996,
  sent: 2000,
  answered: 2000,
  ok: 1996,
  errors: { REJECTED: 4 },
  latency: { count: 1996, p50Us: 412, p90Us: 800, p99Us: 2_310, p999Us: 4_000, maxUs: 6_020, meanUs: 500 },
  runLatency: undefined,
  lagP99Us: 38,
  lagMaxUs: 120,
  runLagP99Us: 40,
  maxTickLateMs: 0.4,
  eventLoopDelayMaxMs: 1.1,
  inFlight: 12,
  rssBytes: 84 * 1048576,
  firstErrorAtMs: 2_100,
  lastErrorAtMs: 2_900,
  byTarget: [{ ok: 1996, errors: 4 }],
};

const PHASE: PhaseResult = {
  index: 0,
  name: schedule.phases[0]!.name,
  startMs: 0,
  endMs: 2000,
  targetPerSecond: 1000,
  expected: 2000,
  sent: 2000,
  ok: 1999,
  errors: 1,
  deliveredPercent: 99.95,
  latency: { count: 1999, p50Us: 400, p90Us: 700, p99Us: 1_210, p999Us: 2_000, maxUs: 3_000, meanUs: 450 },
  lag: undefined,
};

async function collect(): Promise<{ lines: string[]; reporter: LoadReporter }> {
  const lines: string[] = [];
  const reporter = await createLoadReporter(false, (line) => lines.push(line));
  reporter.startLeg({ label: 'through the broker', scenario: 'steps-test', schedule, targets, workers: 1, connectionsPerTarget: 1, legIndex: 0, legCount: 1, maxLagMs: 10 });
  return { lines, reporter };
}

describe('plain reporter', () => {
  it('announces the leg with its profile, size and targets', async () => {
    const { lines } = await collect();
    expect(lines).toEqual(['steps-test through the broker: steps profile, 6,000 requests over 4.0 s (peak 2,000/s, 2 phases) to broker-1 (127.0.0.1:9999)']);
  });

  it('prints one line per timeline row: time, phase, target and achieved rate, latency, errors, lag, in flight, memory', async () => {
    const { lines, reporter } = await collect();
    reporter.row(ROW);
    expect(lines[1]).toBe(
      ' 3.0 s  step 2 @ 2,000/s  target    2,000/s  achieved    1,996/s  p50 412 µs  p99 2.31 ms  max 6.02 ms  errors REJECTED 4  lag p99 38 µs  in flight 12  rss 84 MB',
    );
  });

  it('leaves out the rows after the schedule ended (answers to what was in flight), whose rate would mean nothing', async () => {
    const { lines, reporter } = await collect();
    reporter.row({ ...ROW, seconds: 0.05, isDrain: true });
    expect(lines).toHaveLength(1);
  });

  it('prints a line per finished phase with sent and delivered against expected, what is still in flight, and its verdict when steps are judged', async () => {
    const { lines, reporter } = await collect();
    reporter.phaseDone({ ...PHASE, ok: 1990, errors: 1 });
    reporter.phaseDone(PHASE, [{ threshold: 'p99<1ms', isPassed: false, actual: 1210, unit: 'us', measured: '1.21 ms' }]);
    expect(lines.slice(1)).toEqual([
      '✓ step 1 @ 1,000/s done at 2.0 s: sent 2,000 of 2,000 expected, ok 1,990 (99.95%), errors 1, 9 still in flight, p99 1.21 ms',
      '✗ step 1 @ 1,000/s BROKE at 2.0 s: sent 2,000 of 2,000 expected, ok 1,999 (99.95%), errors 1, p99 1.21 ms — p99<1ms measured 1.21 ms',
    ]);
  });

  it('says when the warm-up starts and what it sent, apart from the measured run', async () => {
    const { lines, reporter } = await collect();
    reporter.warmingUp(1_000);
    reporter.measuring(performance.timeOrigin + performance.now(), { durationMs: 1_000, sent: 1_050, ok: 1_049, errors: 1, outcomes: { OK: 1_049, REJECTED: 1 } });
    expect(lines.slice(1)).toEqual([
      'warm-up: connecting, then 1.0 s of ramp up to the first rate — not measured',
      'warm-up done: sent 1,050, ok 1,049, errors REJECTED 1 (not measured); measuring now',
    ]);
  });

  it('prints connection events and, at the end, the summary with thresholds and the verdict', async () => {
    const { lines, reporter } = await collect();
    reporter.connection(0, false, 'connection lost: ECONNRESET');
    reporter.connection(0, true, 'reconnected');
    const latency = { count: 6000, p50Us: 400, p90Us: 800, p99Us: 2_000, p999Us: 3_000, maxUs: 4_000, meanUs: 450 };
    const result: LoadResult = {
      scenario: 'steps-test',
      meta: {
        startedAt: '2024-05-01T12:00:00.000Z',
        rsbVersion: '0.1.0',
        command: 'rsb load --scenario steps.yaml',
        host: { hostname: 'ci', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'a CPU', memoryBytes: 2 ** 34, node: 'v20.0.0' },
      },
      verdict: 'thresholds-failed',
      exitCode: 3,
      thresholds: [{ threshold: 'p99<1ms', isPassed: false, actual: 2000, unit: 'us', measured: '2.00 ms' }],
      run: {
        label: 'through the broker',
        targets: ['broker-1 127.0.0.1:9999'],
        profile: { kind: 'steps', durationMs: 4000, phases: 2 },
        workers: 1,
        connectionsPerTarget: 1,
        elapsedMs: 4000,
        ranForMs: 4000,
        requests: { expected: 6000, sent: 6000, ok: 5995, errors: 5 },
        warmup: { durationMs: 1000, sent: 500, ok: 500, errors: 0, outcomes: { OK: 500 } },
        targetPerSecond: 1500,
        achievedPerSecond: 1498.75,
        achievedPercent: 99.916,
        outcomes: { OK: 5995, REJECTED: 5 },
        latency: { corrected: latency, uncorrected: latency, scheduleLag: { ...latency, p50Us: 5, p90Us: 10, p99Us: 40, p999Us: 90, maxUs: 120 } },
        phases: [PHASE, { ...PHASE, index: 1, name: 'step 2 @ 2,000/s', targetPerSecond: 2000, expected: 4000, sent: 4000, ok: 3996, errors: 4, deliveredPercent: 99.9 }],
        routes: [{ name: 'svc.echo', outcomes: { OK: 5995, REJECTED: 5 } }],
        brokers: [{ name: 'broker-1', address: '127.0.0.1:9999', outcomes: { OK: 5995, REJECTED: 5 } }],
        errorSamples: [{ outcome: 'REJECTED', message: 'no instance of svc' }],
        health: { maxTickLateMs: 0.5, eventLoopDelayMaxMs: 1.2, peakRssBytes: 90 * 1048576, finalRssBytes: 88 * 1048576 },
        validity: { isValid: true, reasons: [] },
        faults: [],
      },
      files: {},
    };
    reporter.finish(result);
    expect(lines.slice(1, 3)).toEqual(['! broker-1: connection lost (connection lost: ECONNRESET)', '+ broker-1: connection restored']);
    const summary = lines.slice(3).join('\n');
    expect(summary).toContain('warm-up    sent 500, ok 500, errors 0 — not measured, left out of every figure below (the brokers count them)');
    expect(summary).toContain('requests   expected 6,000, sent 6,000, ok 5,995, errors 5 (REJECTED 5)');
    expect(summary).toContain('rate       target 1,500/s, achieved 1,499/s (99.92%)');
    expect(summary).toMatch(/corrected \(from the intended send time\)\s+400 µs\s+800 µs\s+2\.00 ms\s+3\.00 ms\s+4\.00 ms/);
    expect(summary).toMatch(/step 2 @ 2,000\/s\s+2,000\/s\s+4,000\s+4,000\s+3,996\s+99\.90%\s+4/);
    expect(summary).toContain('first REJECTED: no instance of svc');
    expect(summary).toContain('FAIL  p99<1ms        measured 2.00 ms');
    expect(lines.at(-1)).toBe('verdict: thresholds-failed (exit 3)');
  });
});

describe('the dashboard reporter', () => {
  async function dashboard(): Promise<LiveLoadReporter> {
    const view = await createLiveView({ isInteractive: false, print: () => {}, view: 'LoadDashboard', props: () => ({}) as never });
    const reporter = new LiveLoadReporter(view, () => {});
    reporter.startLeg({ label: 'through the broker', scenario: 'steps-test', schedule, targets, workers: 1, connectionsPerTarget: 1, legIndex: 0, legCount: 1, maxLagMs: 10 });
    return reporter;
  }
  const WARMUP = { durationMs: 1_000, sent: 500, ok: 500, errors: 0, outcomes: { OK: 500 } };

  it('labels the warm-up and keeps the progress bar at 0 until the measured run starts, then follows the measured clock', async () => {
    const reporter = await dashboard();
    reporter.warmingUp(1_000);
    expect(reporter.dashboardProps()).toMatchObject({ stage: 'warm-up', warmupMs: 1_000, progress: 0 });
    reporter.measuring(performance.timeOrigin + performance.now() + 60_000, WARMUP);
    expect(reporter.dashboardProps()).toMatchObject({ stage: 'run', progress: 0, elapsedMs: 0 });
    // The measured run of 4 s began 1 s ago: a quarter done, whatever the warm-up took.
    reporter.measuring(performance.timeOrigin + performance.now() - 1_000, WARMUP);
    const props = reporter.dashboardProps();
    expect(props.elapsedMs).toBeGreaterThanOrEqual(1_000);
    expect(props.progress).toBeGreaterThanOrEqual(0.25);
    expect(props.progress).toBeLessThan(0.5);
  });

  it('adds up the requests sent and answered, and says the run is invalid once the schedule lag of the run passes --max-lag', async () => {
    const reporter = await dashboard();
    reporter.measuring(performance.timeOrigin + performance.now(), WARMUP);
    reporter.row(ROW);
    reporter.row({ ...ROW, sent: 1_000, answered: 990, runLagP99Us: 12_300 });
    const props = reporter.dashboardProps();
    expect(props.requests).toEqual({ sent: 3_000, answered: 2_990, expected: 6_000 });
    expect(props.invalid).toBe('schedule lag p99 12.30 ms is above --max-lag 10.00 ms');
  });
});
