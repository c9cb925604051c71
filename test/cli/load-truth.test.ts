import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessRunning } from '../../src/process/index.js';
import type { LoadResult } from '../../src/load/index.js';
import type { LoadResultFile } from '../../src/load/results.js';
import { checkLoadResult, findUnitlessFigures } from '../support/load-schema.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus.js';

/** On this shared two-core machine the generator's schedule lag says more about the neighbours than about rsb: tests not about validity allow a lot. */
const RELAXED = ['--max-lag', '5s'];

/** Every `rsb load --json` document these tests saw: each must fit the published schema. */
const documents: { name: string; document: unknown }[] = [];

function keep(name: string, document: LoadResult | LoadResultFile): LoadResult {
  const { detail: _, ...result } = document as LoadResultFile;
  documents.push({ name, document: result });
  return result;
}

/** Pids of the broker and mock a self-started run printed (`started broker-1 (pid 123)`). */
function startedPids(stdout: string): number[] {
  return [...stdout.matchAll(/started (?:broker|mock)-\d+ \(pid (\d+)\)/g)].map((match) => Number(match[1]));
}

describe('rsb load tells the truth of a run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rsb-load-truth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('interrupted runs', () => {
    it('SIGINT while starting the topology: stops what was started, sends nothing, verdict interrupted, exit 130', async () => {
      const out = join(dir, 'starting.json');
      const load = new RsbProcess(['load', '--qps', '500', '--duration', '30s', '--threshold', 'p99<30s', '--out', out, ...RELAXED]);
      await load.waitForOutput(/starting 1 broker and 1 mock instance/, 20_000);
      load.child.kill('SIGINT');
      expect(await load.exited, load.stderr).toBe(130);
      expect(load.stdout).toContain('interrupted while starting (SIGINT): nothing was sent');
      expect(load.stdout).toContain('verdict: interrupted (exit 130)');
      const result = keep('starting', JSON.parse(await readFile(out, 'utf8')) as LoadResultFile);
      expect(result.run.stop).toMatchObject({ cause: 'interrupted', during: 'starting', atMs: 0, signal: 'SIGINT' });
      expect(result.run.requests).toEqual({ expected: 0, sent: 0, ok: 0, errors: 0 });
      expect(result.run.warmup.sent).toBe(0);
      expect(result.run.achievedPercent).toBe(0);
      const pids = startedPids(load.stdout);
      expect(pids.length).toBe(2);
      for (const pid of pids) expect(isProcessRunning(pid), `pid ${pid} outlived the run`).toBe(false);
    }, 60_000);

    it('SIGTERM during the warm-up: ends the warm-up, measures nothing, counts what the warm-up sent, exit 143', async () => {
      const out = join(dir, 'warm-up.json');
      const load = new RsbProcess(['load', '--qps', '500', '--duration', '30s', '--warmup', '20s', '--threshold', 'errors<1%', '--out', out, ...RELAXED]);
      await load.waitForOutput(/warm-up: connecting/, 30_000);
      // Let the ramp send something before the signal.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      load.child.kill('SIGTERM');
      expect(await load.exited, load.stderr).toBe(143);
      expect(load.stdout).toContain('stopping on SIGTERM: ending the warm-up; nothing will be measured');
      expect(load.stdout).toContain('interrupted during the warm-up (SIGTERM): nothing was measured');
      expect(load.stdout).toContain('verdict: interrupted (exit 143)');
      expect(load.stdout).not.toMatch(/achieved\s+[\d,]+\/s \(\d/);
      const result = keep('warm-up', JSON.parse(await readFile(out, 'utf8')) as LoadResultFile);
      expect(result.run.stop).toMatchObject({ cause: 'interrupted', during: 'warm-up', atMs: 0, signal: 'SIGTERM' });
      expect(result.run.requests).toEqual({ expected: 0, sent: 0, ok: 0, errors: 0 });
      expect(result.run.targetPerSecond).toBe(0);
      expect(result.run.achievedPerSecond).toBe(0);
      expect(result.run.warmup.sent).toBeGreaterThan(0);
      expect(result.run.warmup.ok + result.run.warmup.errors).toBe(result.run.warmup.sent);
      // Thresholds are still judged and shown, but they never make an interrupted run pass.
      expect(result.thresholds.map((threshold) => threshold.threshold)).toEqual(['errors<1%']);
    }, 60_000);

    it('SIGINT mid-run: rates over the time that ran, expected what the schedule called for until the stop, never above 100 %', async () => {
      const out = join(dir, 'mid-run.json');
      const load = new RsbProcess(['load', '--qps', '1000', '--duration', '30s', '--threshold', 'p99<30s', '--out', out, ...RELAXED]);
      await load.waitForOutput(/ 2\.0 s  constant .* achieved/, 40_000);
      load.child.kill('SIGINT');
      expect(await load.exited, load.stderr).toBe(130);
      const result = keep('mid-run', JSON.parse(await readFile(out, 'utf8')) as LoadResultFile);
      const run = result.run;
      expect(run.stop).toMatchObject({ cause: 'interrupted', during: 'run', signal: 'SIGINT' });
      const atMs = run.stop!.atMs;
      expect(atMs).toBeGreaterThan(2_000);
      expect(atMs).toBeLessThan(30_000);
      expect(run.ranForMs).toBe(atMs);
      expect(load.stdout).toContain(`interrupted at ${(atMs / 1000).toFixed(1)} s of 30 s (SIGINT)`);
      // 1,000/s: request k is due at k ms, so requests 0 .. floor(atMs) were due (the stop time is rounded to the µs).
      expect(Math.abs(run.requests.expected - (Math.floor(atMs) + 1))).toBeLessThanOrEqual(1);
      expect(run.requests.sent).toBeLessThanOrEqual(run.requests.expected);
      expect(run.requests.ok + run.requests.errors).toBe(run.requests.sent);
      expect(run.achievedPercent).toBeLessThanOrEqual(100);
      expect(run.targetPerSecond).toBeCloseTo(1000, -1);
      expect(run.achievedPerSecond).toBeLessThanOrEqual(run.targetPerSecond);
      expect(run.warmup.sent).toBeGreaterThan(0);
      expect(result.verdict).toBe('interrupted');
      expect(result.exitCode).toBe(130);
      expect(result.thresholds).toEqual([expect.objectContaining({ threshold: 'p99<30s', isPassed: true })]);
      expect(load.stdout).toMatch(/pass\s+p99<30s/);
      expect(load.stdout).toContain('verdict: interrupted (exit 130)');
    }, 60_000);

    it('SIGINT while draining: every request was sent and is answered; the run is still interrupted, not passed', async () => {
      const scenario = join(dir, 'slow.yaml');
      const out = join(dir, 'draining.json');
      await writeFile(scenario, ['name: slow', 'topology: { brokers: 1, mocks: [{ service: svc, latency: 3s }] }', 'profile: { type: constant, rate: 20, duration: 1s }', 'timeout: 10s', 'warmup: 0'].join('\n'));
      const load = new RsbProcess(['load', '--scenario', scenario, '--out', out, ...RELAXED]);
      await load.waitForOutput(/schedule sent in full at 1\.0 s: waiting up to 10 s \(--timeout\) for the answers still in flight/, 40_000);
      load.child.kill('SIGINT');
      expect(await load.exited, load.stderr).toBe(130);
      expect(load.stdout).toContain('interrupted at 1.0 s of 1.0 s (SIGINT), while waiting for the answers still in flight: every request was sent');
      const result = keep('draining', JSON.parse(await readFile(out, 'utf8')) as LoadResultFile);
      expect(result.run.stop).toMatchObject({ cause: 'interrupted', during: 'draining', atMs: 1000 });
      expect(result.run.requests).toEqual({ expected: 20, sent: 20, ok: 20, errors: 0 });
      expect(result.run.achievedPercent).toBe(100);
      expect(result.verdict).toBe('interrupted');
    }, 60_000);
  });

  it("accounts the warm-up apart, so that the run's counts plus the warm-up's equal the broker's own rsb_requests_total", async () => {
    const { broker, port } = await startBrokerProcess();
    const adminUrl = (await broker.waitForOutput(/admin API and metrics on (http:\/\/[\d.]+:\d+)/))[1]!;
    const mock = new RsbProcess(['mock', 'svc', '--broker', `127.0.0.1:${port}`]);
    try {
      await mock.waitForOutput(/ ready: /, 20_000);
      const { code, stdout, stderr } = await runRsb(['load', '--broker', `127.0.0.1:${port}`, '--qps', '500', '--duration', '1s', '--warmup', '1s', '--json', ...RELAXED], { timeoutMs: 30_000 });
      expect(code, stderr).toBe(0);
      const result = keep('warm-up accounted', JSON.parse(stdout) as LoadResult);
      const { run } = result;
      expect(run.warmup.sent).toBeGreaterThan(0);
      expect(run.warmup.ok).toBe(run.warmup.sent);
      expect(run.requests.sent).toBe(500);
      const samples = parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text()).filter((sample) => sample.name === 'rsb_requests_total' && sample.labels.method === 'echo');
      const brokerTotal = samples.reduce((sum, sample) => sum + sample.value, 0);
      expect(brokerTotal).toBe(run.requests.sent + run.warmup.sent);
      expect(samples.find((sample) => sample.labels.outcome === 'ok')?.value).toBe(run.requests.ok + run.warmup.ok);
    } finally {
      await mock.stop();
      await broker.stop();
    }
  }, 60_000);

  it('labels every figure of --json with its unit, carries run metadata, and prints the full latency spectrum with --latency', async () => {
    const report = join(dir, 'report.html');
    const { code, stdout, stderr } = await runRsb(['load', '--qps', '400', '--duration', '1s', '--latency', '--threshold', 'p99<30s', '--report', report, '--json', ...RELAXED], { timeoutMs: 40_000 });
    expect(code, stderr).toBe(0);
    // Under --json, stdout is the result alone; what happened meanwhile goes to stderr.
    expect(stderr).toContain('starting 1 broker and 1 mock instance');
    const result = keep('--latency --json', JSON.parse(stdout) as LoadResult);
    expect(findUnitlessFigures(result)).toEqual([]);
    expect(result.run.latency.corrected).toMatchObject({ count: 400, p50Us: expect.any(Number), p99Us: expect.any(Number), maxUs: expect.any(Number) });
    expect(result.thresholds[0]).toMatchObject({ unit: 'us' });
    expect(new Date(result.meta.startedAt).toISOString()).toBe(result.meta.startedAt);
    expect(Date.now() - Date.parse(result.meta.startedAt)).toBeLessThan(60_000);
    expect(result.meta).toMatchObject({ rsbVersion: expect.stringMatching(/^\d+\.\d+\.\d+/), command: `rsb load --qps 400 --duration 1s --latency --threshold 'p99<30s' --report ${report} --json --max-lag 5s` });
    expect(result.meta.host).toMatchObject({ cpus: expect.any(Number), memoryBytes: expect.any(Number), node: process.version });
    const spectrum = result.run.latencySpectrum!;
    expect(spectrum.count).toBe(400);
    expect(spectrum.headline.map((point) => point.percentile)).toEqual([50, 75, 90, 99, 99.9, 99.99, 99.999, 100]);
    expect(spectrum.headline.at(-1)!.valueUs).toBe(result.run.latency.corrected!.maxUs);
    expect(spectrum.detail.at(-1)!.totalCount).toBe(400);

    // The HTML report says when, what and where: date and time, the command, rsb's version and the host; its table has p90 and sent.
    const html = await readFile(report, 'utf8');
    expect(html).toContain(`${result.meta.startedAt.slice(0, 10)} ${result.meta.startedAt.slice(11, 19)} UTC · rsb ${result.meta.rsbVersion} · ${result.meta.host.hostname}: ${result.meta.host.cpus} × `);
    expect(html).toContain(`Node ${process.version}`);
    expect(html).toContain(`command <code>rsb load --qps 400 --duration 1s --latency --threshold 'p99&lt;30s'`);
    expect(html).toMatch(/<th>expected<\/th><th>sent<\/th><th>ok<\/th>.*<th>p50<\/th><th>p90<\/th><th>p99<\/th>/);
    const distribution = html.slice(html.indexOf('Latency by percentile'));
    expect(distribution.slice(0, distribution.indexOf('</figure>'))).toMatch(/<text [^>]*>p50<\/text>/);
    // The target is drawn after (so above) the achieved rate it usually hides behind.
    const rates = html.slice(html.indexOf('Requests per second'));
    expect(rates.indexOf('<title>target</title>')).toBeGreaterThan(rates.indexOf('<title>achieved (answers)</title>'));

    const plain = await runRsb(['load', '--qps', '400', '--duration', '1s', '--latency', ...RELAXED], { timeoutMs: 40_000 });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('latency distribution (corrected, HdrHistogram)');
    for (const percentile of ['50.000%', '75.000%', '90.000%', '99.000%', '99.900%', '99.990%', '99.999%', '100.000%']) expect(plain.stdout).toContain(`  ${percentile}`);
    expect(plain.stdout).toMatch(/Value \(ms\)\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(plain.stdout).toMatch(/#\[Max\s+=\s+[\d.]+, Total count\s+=\s+400\]/);
  }, 90_000);

  it('writes --hdr-log in the HdrHistogram log format: its intervals read back add up to the run', async () => {
    const log = join(dir, 'run.hlog');
    const { code, stdout, stderr } = await runRsb(['load', '--qps', '400', '--duration', '2s', '--hdr-log', log, '--json', ...RELAXED], { timeoutMs: 40_000 });
    expect(code, stderr).toBe(0);
    const result = keep('--hdr-log', JSON.parse(stdout) as LoadResult);
    expect(result.files.hdrLog).toBe(log);
    const text = await readFile(log, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('#[Histogram log format version 1.3]');
    expect(lines[1]).toMatch(/^#\[StartTime: \d+\.\d{3} \(seconds since epoch\), /);
    expect(lines[2]).toMatch(/^#\[BaseTime: \d+\.\d{3} \(seconds since epoch\)\]$/);
    expect(lines).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    const intervals = lines.filter((line) => /^\d/.test(line));
    expect(intervals.length).toBeGreaterThanOrEqual(2);
    for (const line of intervals) expect(line).toMatch(/^\d+\.\d{3},\d+\.\d{3},\d+\.\d{3},HISTF[A-Za-z0-9+/=]+$/);
    const reader = new hdr.HistogramLogReader(text);
    let count = 0;
    let maxUs = 0;
    for (let histogram = reader.nextIntervalHistogram(); histogram !== null; histogram = reader.nextIntervalHistogram()) {
      count += histogram.totalCount;
      maxUs = Math.max(maxUs, histogram.maxValue);
    }
    expect(count).toBe(result.run.latency.corrected!.count);
    expect(maxUs).toBe(result.run.latency.corrected!.maxUs);
  }, 60_000);

  it("serves the run's own Prometheus metrics with --metrics-port while it runs", async () => {
    const load = new RsbProcess(['load', '--qps', '200', '--duration', '6s', '--metrics-port', '0', ...RELAXED]);
    try {
      const url = (await load.waitForOutput(/metrics of this run: (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 20_000))[1]!;
      await load.waitForOutput(/ 2\.0 s  constant .* achieved/, 30_000);
      const response = await fetch(url);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const samples = parsePrometheusText(await response.text());
      expect(sampleValue(samples, 'rsb_load_target_requests_per_second', { leg: 'run' })).toBe(200);
      expect(sampleValue(samples, 'rsb_load_achieved_requests_per_second', { leg: 'run' })).toBeGreaterThan(100);
      expect(sampleValue(samples, 'rsb_load_requests_sent_total', { leg: 'run' })).toBeGreaterThanOrEqual(300);
      expect(sampleValue(samples, 'rsb_load_requests_total', { leg: 'run', outcome: 'OK' })).toBeGreaterThanOrEqual(300);
      const latencyCount = sampleValue(samples, 'rsb_load_latency_seconds_count', { leg: 'run' });
      expect(latencyCount).toBeGreaterThanOrEqual(300);
      expect(sampleValue(samples, 'rsb_load_latency_seconds_bucket', { leg: 'run', le: '+Inf' })).toBe(latencyCount);
      expect(sampleValue(samples, 'rsb_load_latency_seconds_bucket', { leg: 'run', le: '10' })).toBe(latencyCount);
      expect(sampleValue(samples, 'rsb_load_schedule_lag_seconds_count', { leg: 'run' })).toBeGreaterThanOrEqual(300);
      expect(sampleValue(samples, 'rsb_load_requests_in_flight', { leg: 'run' })).toBeGreaterThanOrEqual(0);
      expect(await load.exited).toBe(0);
    } finally {
      await load.stop();
    }
  }, 60_000);

  it('aborts on a failed threshold (--abort-on-fail) once its grace has passed: exit 3, and the summary says when and why', async () => {
    const { code, stdout, stderr } = await runRsb(['load', '--qps', '200', '--duration', '60s', '--threshold', 'p50<1us', '--threshold', 'errors<1%', '--abort-on-fail', '--abort-grace', '2s', '--json', ...RELAXED], {
      timeoutMs: 40_000,
    });
    expect(code, stderr).toBe(3);
    const result = keep('--abort-on-fail', JSON.parse(stdout) as LoadResult);
    expect(result.verdict).toBe('thresholds-failed');
    const stop = result.run.stop!;
    expect(stop).toMatchObject({ cause: 'aborted', during: 'run' });
    expect(stop.atMs).toBeGreaterThanOrEqual(2_000);
    expect(stop.atMs).toBeLessThan(10_000);
    expect(stop.reason).toMatch(/^aborted at \d+\.\d s of 60 s: p50<1us failed on the figures so far \(measured [\d.]+ (µs|ms)\)$/);
    expect(stop.thresholds?.map((threshold) => threshold.threshold)).toEqual(['p50<1us']);
    expect(result.thresholds.map((threshold) => [threshold.threshold, threshold.isPassed])).toEqual([
      ['p50<1us', false],
      ['errors<1%', true],
    ]);
    expect(result.run.requests.expected).toBeLessThan(2_000);
  }, 60_000);

  it("aborts from a scenario's abortOnFail threshold with no grace: all REJECTED, stopped at the first second", async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const scenario = join(dir, 'abort.yaml');
      await writeFile(scenario, ['name: abort', 'profile: { type: constant, rate: 200, duration: 60s }', 'thresholds:', '  - { threshold: errors<1, abortOnFail: true }', '  - rate>=1%'].join('\n'));
      const { code, stdout } = await runRsb(['load', '--scenario', scenario, '--broker', `127.0.0.1:${port}`, ...RELAXED], { timeoutMs: 30_000 });
      expect(code).toBe(3);
      expect(stdout).toMatch(/aborting at 1\.0 s: errors<1 failed on the figures so far \(measured \d+\)/);
      expect(stdout).toMatch(/aborted at 1\.\d s of 60 s: errors<1 failed on the figures so far/);
      expect(stdout).toContain('verdict: thresholds-failed (exit 3)');
    } finally {
      await broker.stop();
    }
  }, 40_000);

  it('tells each phase as it ends, before the next phase reports', async () => {
    const scenario = join(dir, 'steps.yaml');
    await writeFile(scenario, ['name: two-steps', 'profile: { type: steps, steps: [{ rate: 100, duration: 1s }, { rate: 200, duration: 1s }] }'].join('\n'));
    const { code, stdout, stderr } = await runRsb(['load', '--scenario', scenario, ...RELAXED], { timeoutMs: 30_000 });
    expect(code, stderr).toBe(0);
    const lines = stdout.split('\n');
    const firstDone = lines.findIndex((line) => line.startsWith('✓ step 1 @ 100/s done at 1.0 s: sent 100 of 100 expected'));
    const secondRow = lines.findIndex((line) => /^\s+2\.0 s\s+step 2 @ 200\/s/.test(line));
    expect(firstDone, stdout).toBeGreaterThan(0);
    expect(secondRow, stdout).toBeGreaterThan(firstDone);
  }, 40_000);

  it('publishes a JSON Schema that every --json document above fits', () => {
    expect(documents.length).toBeGreaterThanOrEqual(8);
    for (const { name, document } of documents) expect(checkLoadResult(document), name).toEqual([]);
  });
});
