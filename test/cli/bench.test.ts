import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/index.js';
import { runRsb } from '../support/processes.js';

describe('rsb bench', () => {
  it('measures every rsb set-up in child processes (the mock one a real rsb mock process) and reports them as JSON', async () => {
    // The nats set-up has a test of its own below.
    const { code, stdout, stderr } = await runRsb(
      ['bench', '--runs', '1', '--warmup', '200ms', '--duration', '400ms', '--in-flight', '1,8', '--setups', 'rsb,rsb-managed,reference,direct,mock,rsb-tls,rsb-ws', '--json'],
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
    expect(report.verdicts.map((verdict) => verdict.target)).toContain('rsb-managed (limits, breakers, timeouts, metrics) ≥ 95% of rsb at 256 in flight');
  }, 60_000);

  it('measures nats-server through NATS endpoints and judges rsb against it and against direct at 256 in flight', async () => {
    const { code, stdout, stderr } = await runRsb(
      ['bench', '--setups', 'rsb,direct,nats', '--runs', '1', '--warmup', '200ms', '--duration', '400ms', '--in-flight', '256', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    const nats = report.rows.find((row) => row.setup === 'nats')!;
    expect(nats.errors).toBe(0);
    expect(nats.runs[0]!.requests).toBeGreaterThan(0);
    expect(nats.brokerCpuUsPerRequest).toBeGreaterThan(0);
    const targets = report.verdicts.map((verdict) => verdict.target);
    expect(targets).toContain('rsb ≥ 4× nats-server at 256 in flight');
    expect(targets).toContain('rsb ≥ 0.75× direct at 256 in flight');
  }, 60_000);

  it('leaves out the nats set-up, saying so in one line, when nats-server is not installed', async () => {
    const { code, stdout, stderr } = await runRsb(['bench', '--setups', 'rsb,nats', '--runs', '1', '--warmup', '100ms', '--duration', '200ms', '--in-flight', '8'], {
      env: { PATH: mkdtempSync(join(tmpdir(), 'rsb-no-nats-')) },
      timeoutMs: 60_000,
    });
    expect(code, stderr).toBe(0);
    const line = 'nats-server is not installed (Debian: apt-get install nats-server): the nats set-up is left out';
    expect(stderr).toContain(line);
    expect(stdout).toContain(line);
    expect(stdout).toMatch(/^\| rsb \| 8 \|/m);
    expect(stdout).not.toMatch(/^\| nats \|/m);
  }, 60_000);

  it('measures rsb and nats-server at a fixed rate through rsb load\'s generator, with the broker\'s and the generator\'s CPU per request', async () => {
    const { code, stdout, stderr } = await runRsb(['bench', '--rate', '2000', '--runs', '1', '--warmup', '200ms', '--duration', '1s', '--json'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.rows).toEqual([]);
    expect(report.rateRows.map((row) => row.setup)).toEqual(['rsb', 'nats']);
    for (const row of report.rateRows) {
      expect(row.errors).toBe(0);
      expect(row.runs[0]!.sent).toBe(2_000);
      expect(row.runs[0]!.ok).toBe(2_000);
      expect(row.brokerCpuUsPerRequest).toBeGreaterThan(0);
      expect(row.generatorCpuUsPerRequest).toBeGreaterThan(0);
    }
    expect(report.verdicts.map((verdict) => verdict.target)).toContain("rsb broker CPU per request below nats-server's at 2,000/s");
  }, 60_000);

  it('refuses an unknown set-up with a usage error', async () => {
    const { code, stderr } = await runRsb(['bench', '--setups', 'rsb,kafka']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown set-up "kafka"');
  });

  it('refuses --rate with a set-up whose requester is not on TCP', async () => {
    const { code, stderr } = await runRsb(['bench', '--rate', '1000', '--setups', 'rsb,rsb-ws']);
    expect(code).toBe(2);
    expect(stderr).toContain('--rate measures over TCP: set-up rsb-ws is measured closed loop only (leave out --rate)');
  });
});
