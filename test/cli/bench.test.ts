import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/index.js';
import { runRsb } from '../support/processes.js';

describe('rsb bench', () => {
  it('measures every set-up in child processes (the mock one a real rsb mock process) and reports them as JSON', async () => {
    const { code, stdout, stderr } = await runRsb(
      ['bench', '--runs', '1', '--warmup', '200ms', '--duration', '400ms', '--in-flight', '1,8', '--json'],
      { timeoutMs: 90_000 },
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.rows.map((row) => `${row.setup}/${row.inFlight}`)).toEqual([
      'rsb/1',
      'rsb/8',
      'rsb-managed/1',
      'rsb-managed/8',
      'reference/1',
      'reference/8',
      'direct/1',
      'direct/8',
      'mock/1',
      'mock/8',
      'rsb-tls/1',
      'rsb-tls/8',
      'rsb-ws/1',
      'rsb-ws/8',
    ]);
    for (const row of report.rows) {
      expect(row.errors).toBe(0);
      expect(row.runs[0]!.requests).toBeGreaterThan(0);
      expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us);
    }
    expect(report.verdicts.map((verdict) => verdict.target)).toContain('rsb p50 at 1 in flight ≤ 2.5× direct p50');
  }, 90_000);

  it('judges one rsb mock process against its 300,000 requests/s target at 256 in flight', async () => {
    const { code, stdout, stderr } = await runRsb(['bench', '--setups', 'mock', '--runs', '1', '--warmup', '200ms', '--duration', '400ms', '--in-flight', '256', '--json'], {
      timeoutMs: 60_000,
    });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    const verdict = report.verdicts.find((candidate) => candidate.target === 'one rsb mock process ≥ 300,000 req/s through the broker at 256 in flight');
    expect(verdict?.measured).toBe(`${Math.round(report.rows[0]!.requestsPerSecond).toLocaleString('en-US')} req/s`);
    expect(verdict?.isMet).toBe(report.rows[0]!.requestsPerSecond >= 300_000);
  }, 60_000);

  it('judges the managed broker against the bare one at 256 in flight', async () => {
    const { code, stdout, stderr } = await runRsb(
      ['bench', '--runs', '1', '--warmup', '200ms', '--duration', '400ms', '--in-flight', '256', '--setups', 'rsb,rsb-managed', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.rows.find((row) => row.setup === 'rsb-managed')!.errors).toBe(0);
    expect(report.verdicts.map((verdict) => verdict.target)).toContain('rsb-managed (limits, breakers, timeouts, metrics) ≥ 85% of rsb at 256 in flight');
  }, 60_000);

  it('refuses an unknown set-up with a usage error', async () => {
    const { code, stderr } = await runRsb(['bench', '--setups', 'rsb,nats']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown set-up "nats"');
  });
});
