import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessRunning } from '../../src/process/index.js';
import type { LoadResult } from '../../src/load/index.js';
import type { LoadResultFile } from '../../src/load/results.js';
import { RSB_BIN, RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

/** On this shared two-core machine the generator's schedule lag says more about the neighbours than about rsb: tests that are not about validity allow a lot. */
const RELAXED = ['--max-lag', '5s'];

describe('rsb load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rsb-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts its own broker and mock, prints a line a second and a summary, writes --out and --report, and exits 0 when thresholds pass', async () => {
    const out = join(dir, 'results.json');
    const report = join(dir, 'report.html');
    const { code, stdout, stderr } = await runRsb(
      ['load', '--qps', '400', '--duration', '2s', '--threshold', 'p99<30s', '--threshold', 'errors<0.1%', '--threshold', 'rate>=99%', '--out', out, '--report', report, ...RELAXED],
      { timeoutMs: 40_000 },
    );
    expect(code, stderr + stdout).toBe(0);
    expect(stdout).toMatch(/started broker-1 \(pid \d+\) on 127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/started mock-1 \(pid \d+\)/);
    expect(stdout).toContain('default through the broker: constant profile, 800 requests over 2.0 s (peak 400/s)');
    expect(stdout.match(/^\s+\d+\.\d s\s+constant\s+target\s+400\/s\s+achieved/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain('requests   expected 800, sent 800, ok 800, errors 0');
    expect(stdout).toMatch(/pass\s+p99<30s\s+measured/);
    expect(stdout).toContain('verdict: passed (exit 0)');
    const file = JSON.parse(await readFile(out, 'utf8')) as LoadResultFile;
    expect(file.run.requests).toEqual({ expected: 800, sent: 800, ok: 800, errors: 0 });
    expect(file.detail[0]!.timeline.length).toBeGreaterThanOrEqual(2);
    expect(file.detail[0]!.histograms.corrected).toMatch(/^[A-Za-z0-9+/=]+$/);
    const html = await readFile(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Requests per second');
    expect(html).toContain('Latency by percentile');
    expect(html).not.toMatch(/<script|https?:\/\//);
  }, 45_000);

  it('exits 3 with the failing threshold named when a threshold fails, also under --json; two workers share the schedule', async () => {
    const { code, stdout, stderr } = await runRsb(
      ['load', '--qps', '200', '--duration', '1s', '--workers', '2', '--threshold', 'p50<1us', '--threshold', 'errors<1%', '--json', ...RELAXED],
      { timeoutMs: 40_000 },
    );
    expect(code, stderr).toBe(3);
    const result = JSON.parse(stdout) as LoadResult;
    expect(result.verdict).toBe('thresholds-failed');
    expect(result.exitCode).toBe(3);
    expect(result.thresholds.map((threshold) => [threshold.threshold, threshold.isPassed])).toEqual([
      ['p50<1us', false],
      ['errors<1%', true],
    ]);
    expect(result.run.requests.sent).toBe(200);
    expect(result.run.workers).toBe(2);
    expect(result.run.latency.corrected?.count).toBe(200);
  }, 45_000);

  it('exits 4 when the generator could not keep its schedule, whatever the thresholds say', async () => {
    const { code, stdout, stderr } = await runRsb(['load', '--qps', '200', '--duration', '1s', '--threshold', 'p99<30s', '--max-lag', '0ms'], { timeoutMs: 40_000 });
    expect(code, stderr).toBe(4);
    expect(stdout).toContain('DID NOT keep its schedule');
    expect(stdout).toContain('the generator could not keep its schedule');
    expect(stdout).toContain('verdict: invalid-run (exit 4)');
  }, 45_000);

  it('refuses a bad threshold or scenario with exit 2 and one sentence, before starting anything', async () => {
    const threshold = await runRsb(['load', '--threshold', 'p99 fast']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain('threshold "p99 fast" is not <metric><operator><value>');
    expect(threshold.stdout).not.toContain('started broker');
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nprofile: { type: constant, rate: -5, duration: 1s }\n');
    const scenario = await runRsb(['load', '--scenario', file]);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain(`scenario ${file} is invalid: profile.rate: Too small: expected number to be >0`);
  });

  it('loads a broker it did not start, counting what it answers by kind: REJECTED with no service behind it', async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const { code, stdout } = await runRsb(['load', '--broker', `127.0.0.1:${port}`, '--qps', '200', '--duration', '1s', '--threshold', 'errors<0.1%', '--json', ...RELAXED], { timeoutMs: 30_000 });
      expect(code).toBe(3);
      const result = JSON.parse(stdout) as LoadResult;
      expect(result.run.outcomes).toEqual({ REJECTED: 200 });
      expect(result.run.brokers).toEqual([{ name: 'broker-1', address: `127.0.0.1:${port}`, outcomes: { REJECTED: 200 } }]);
      expect(result.run.errorSamples[0]).toMatchObject({ outcome: 'REJECTED', message: expect.stringContaining('svc') });
    } finally {
      await broker.stop();
    }
  }, 40_000);

  it('loads every broker of a cluster from `rsb cluster up`, by --cluster or by one --broker address', async () => {
    const stateDir = join(dir, 'state');
    const up = await runRsb(['cluster', 'up', '-n', '2', '--base-port', '0', '--name', 'lt', '--state-dir', stateDir, '--json'], { timeoutMs: 30_000 });
    expect(up.code, up.stderr).toBe(0);
    const ports = (JSON.parse(up.stdout) as { state: { brokers: { port: number }[] } }).state.brokers.map((broker) => broker.port);
    const mock = new RsbProcess(['mock', 'svc', '--cluster', 'lt', '--state-dir', stateDir]);
    try {
      await mock.waitForOutput(/ ready: /, 20_000);
      const byCluster = await runRsb(['load', '--cluster', 'lt', '--state-dir', stateDir, '--qps', '200', '--duration', '1s', '--json', ...RELAXED], { timeoutMs: 30_000 });
      expect(byCluster.code, byCluster.stderr).toBe(0);
      const clusterRun = (JSON.parse(byCluster.stdout) as LoadResult).run;
      expect(clusterRun.brokers.map((broker) => [broker.name, broker.address])).toEqual([
        ['lt-1', `127.0.0.1:${ports[0]}`],
        ['lt-2', `127.0.0.1:${ports[1]}`],
      ]);
      expect(clusterRun.requests.ok).toBe(200);
      expect(clusterRun.brokers.map((broker) => broker.outcomes.OK)).toEqual([100, 100]);
      const byOneBroker = await runRsb(['load', '--broker', `127.0.0.1:${ports[1]}`, '--qps', '200', '--duration', '1s', '--json', ...RELAXED], { timeoutMs: 30_000 });
      expect(byOneBroker.code, byOneBroker.stderr).toBe(0);
      expect((JSON.parse(byOneBroker.stdout) as LoadResult).run.brokers.map((broker) => broker.name).sort()).toEqual(['lt-1', 'lt-2']);
    } finally {
      await mock.stop();
      await runRsb(['cluster', 'down', '--name', 'lt', '--state-dir', stateDir], { timeoutMs: 30_000 });
    }
  }, 60_000);

  it('runs a baseline straight at the mock first, then through the broker, and reports the overhead', async () => {
    const { code, stdout, stderr } = await runRsb(['load', '--qps', '300', '--duration', '1s', '--baseline', '--json', ...RELAXED], { timeoutMs: 40_000 });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as LoadResult;
    expect(result.baseline?.label).toBe('baseline (no broker)');
    expect(result.baseline?.targets[0]).toMatch(/^mock-1 \(direct\) 127\.0\.0\.1:\d+$/);
    expect(result.baseline?.requests.ok).toBe(300);
    expect(result.run.requests.ok).toBe(300);
    expect(result.overhead?.p50Us).toBe(result.run.latency.corrected!.p50Us - result.baseline!.latency.corrected!.p50Us);
  }, 45_000);

  it('fails over when a broker of three is killed mid-run, and spreads over it again once it is restarted', async () => {
    const file = join(dir, 'failover.yaml');
    const out = join(dir, 'failover.json');
    // 10 s: room after the restart (a second or two; over three on a busy machine) to see broker-2 take its share again.
    await writeFile(
      file,
      [
        'name: failover-test',
        'topology: { brokers: 3, mocks: [{ service: svc, instances: 1 }] }',
        'profile: { type: constant, rate: 600, duration: 10s }',
        'timeout: 2s',
        'faults: [{ at: 1s, action: kill, target: broker-2 }, { at: 2s, action: restart, target: broker-2 }]',
        'thresholds: ["rate>=90%"]',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await runRsb(['load', '--scenario', file, '--json', '--out', out, ...RELAXED], { timeoutMs: 55_000 });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as LoadResult;
    const { requests } = result.run;
    expect(requests.sent).toBe(6000);
    expect(requests.ok + requests.errors).toBe(6000);
    expect(result.run.brokers.map((broker) => broker.name)).toEqual(['broker-1', 'broker-2', 'broker-3']);
    // Every error is broker-2's: what was in flight when it died, and REJECTED until the mock registered on it again.
    expect(result.run.brokers[0]!.outcomes).toEqual({ OK: expect.any(Number) });
    expect(result.run.brokers[2]!.outcomes).toEqual({ OK: expect.any(Number) });
    const { CONNECTION_LOST: lost = 0, REJECTED: rejected = 0, OK: _ok, ...others } = result.run.brokers[1]!.outcomes;
    expect(others).toEqual({});
    const [kill, restart] = result.run.faults;
    expect(kill).toMatchObject({ target: 'broker-2', action: 'kill', atMs: 1000 });
    expect(kill!.firedAtMs).toBeGreaterThan(990);
    // Requests in flight on broker-2 when it died (if any) are its connection losses: the kill's error window; the rest went to live brokers at once.
    expect(kill!.errorWindow?.errors ?? 0).toBe(lost);
    expect(kill!.recoveredAfterMs).toBeLessThanOrEqual(1_000);
    expect(restart).toMatchObject({ target: 'broker-2', action: 'restart', atMs: 2000 });
    expect(restart!.error).toBeUndefined();
    const upAgainAtMs = restart!.doneAtMs!;
    expect(upAgainAtMs, 'broker-2 was not listening again with time left in the run').toBeLessThan(7_000);
    // Until the mock has registered on it again, broker-2 answers REJECTED: mocks redial at most 1 s (±20 %) apart,
    // and the generator likewise, so that window closes within about a second of its listening (2 s allowed on a busy machine).
    expect(restart!.errorWindow?.errors ?? 0).toBe(rejected);
    if (restart!.errorWindow) expect(restart!.errorWindow.toMs).toBeLessThan(upAgainAtMs + 2_000);
    // The timeline: broker-2 answers before the kill, nothing while it is down, and its third of the requests again once restarted.
    const timeline = (JSON.parse(await readFile(out, 'utf8')) as LoadResultFile).detail[0]!.timeline;
    const rows = (fromMs: number, toMs: number) => timeline.filter((row) => !row.isDrain && row.atMs > fromMs && row.atMs <= toMs);
    const broker2 = (fromMs: number, toMs: number) => rows(fromMs, toMs).reduce((sum, row) => sum + row.byTarget[1]!.ok + row.byTarget[1]!.errors, 0);
    expect(broker2(0, 1100)).toBeGreaterThan(100);
    // (The row ending at 2 s starts at 1 s: it may hold what broker-2 answered in the moment before the kill landed.)
    expect(broker2(1100, 2100) - (kill!.errorWindow?.errors ?? 0)).toBeLessThan(20);
    // Rows that began once the generator had redialled it (within 1 s of its listening) and its REJECTED were over:
    // round-robin gives it a third of the answers (a quarter allowed).
    const settledAtMs = Math.max(upAgainAtMs + 1_000, restart!.errorWindow?.toMs ?? 0);
    const settled = timeline.filter((row) => !row.isDrain && row.atMs - row.seconds * 1000 >= settledAtMs);
    expect(settled.length).toBeGreaterThan(0);
    const okOf = (target: number) => settled.reduce((sum, row) => sum + row.byTarget[target]!.ok, 0);
    expect(okOf(1)).toBeGreaterThan(0.25 * (okOf(0) + okOf(1) + okOf(2)));
  }, 60_000);

  it('stops cleanly on Ctrl-C at a terminal: drains, reports what ran as interrupted (exit 130), and leaves no broker or mock behind', async () => {
    // A terminal sends SIGINT to its whole foreground process group: run rsb load as the leader of its own group, and signal the group.
    const load = spawn(process.execPath, [RSB_BIN, 'load', '--qps', '200', '--duration', '60s', ...RELAXED], { detached: true, env: { ...process.env, CI: '1' } });
    let stdout = '';
    load.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const exited = new Promise<number | null>((resolve) => load.on('exit', (code) => resolve(code)));
    try {
      const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
        for (let tries = 0; tries < 400; tries++) {
          const match = stdout.match(pattern);
          if (match) return match;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`no ${pattern} in:\n${stdout}`);
      };
      const brokerPid = Number((await waitFor(/started broker-1 \(pid (\d+)\)/))[1]);
      const mockPid = Number((await waitFor(/started mock-1 \(pid (\d+)\)/))[1]);
      await waitFor(/achieved/);
      process.kill(-load.pid!, 'SIGINT');
      // Interrupted: never a pass, with its own exit code (130, the shell's 128 + SIGINT).
      expect(await exited).toBe(130);
      expect(stdout).toContain('stopping on SIGINT');
      expect(stdout).toMatch(/interrupted at \d+\.\d s of 60 s \(SIGINT\)/);
      expect(stdout).toContain('verdict: interrupted (exit 130)');
      // The broker and the mock outlived the Ctrl-C long enough to answer what was in flight.
      expect(stdout).not.toContain('CONNECTION_LOST');
      expect(isProcessRunning(brokerPid)).toBe(false);
      expect(isProcessRunning(mockPid)).toBe(false);
    } finally {
      if (load.exitCode === null) load.kill('SIGKILL');
    }
  }, 45_000);
});
