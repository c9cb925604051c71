import { describe, expect, it } from 'vitest';
import { BENCH_SETUP, formatBenchReport, type BenchReport, type BenchRow, type BenchSetup } from '../../src/bench/index.js';

const MACHINE: BenchReport['machine'] = { cpus: 2, cpuModel: 'test CPU', memoryGiB: 4, node: 'v20.0.0', platform: 'linux' };
const OPTIONS: BenchReport['options'] = { setups: [BENCH_SETUP.RSB, BENCH_SETUP.NATS], inFlight: [256], runs: 1, warmupMs: 1_000, durationMs: 4_000, payloadBytes: 32 };

function closedLoopRow(setup: BenchSetup, requestsPerSecond: number, brokerCpuUsPerRequest: number): BenchRow {
  const run = { requests: requestsPerSecond * 4, errors: 0, seconds: 4, requestsPerSecond, p50Us: 500, p99Us: 2_000, p999Us: 4_000 };
  return { setup, inFlight: 256, runs: [run], requestsPerSecond, p50Us: 500, p99Us: 2_000, p999Us: 4_000, errors: 0, brokerCpuUsPerRequest };
}

function rateRow(setup: BenchSetup, brokerCpuUsPerRequest: number, generatorCpuUsPerRequest: number): BenchReport['rateRows'][number] {
  const run = { rate: 62_000, pacingMs: 1, sent: 620_000, ok: 620_000, errors: 0, achievedRate: 62_000, p50Us: 900, p99Us: 3_000, p999Us: 5_000, lagP99Us: 1_500, brokerCpuUsPerRequest, generatorCpuUsPerRequest };
  return { setup, rate: 62_000, runs: [run], achievedRate: 62_000, p50Us: 900, p99Us: 3_000, p999Us: 5_000, lagP99Us: 1_500, errors: 0, brokerCpuUsPerRequest, generatorCpuUsPerRequest };
}

describe('the bench report', () => {
  it('prints the nats set-up as a row of the closed-loop table, with its broker CPU per request', () => {
    const report: BenchReport = {
      machine: MACHINE,
      options: OPTIONS,
      rows: [closedLoopRow(BENCH_SETUP.RSB, 400_000, 1.3), closedLoopRow(BENCH_SETUP.NATS, 90_000, 5.25)],
      rateRows: [],
      verdicts: [],
      leftOut: [],
    };
    const lines = formatBenchReport(report);
    expect(lines).toContain('| set-up | in flight | requests/s | p50 | p99 | p99.9 | broker CPU/request | errors |');
    expect(lines).toContain('| rsb | 256 | 400,000 | 500 µs | 2.00 ms | 4.00 ms | 1.30 µs | 0 |');
    expect(lines).toContain('| nats | 256 | 90,000 | 500 µs | 2.00 ms | 4.00 ms | 5.25 µs | 0 |');
  });

  it('says in one line why a set-up was left out, after the table of the others', () => {
    const report: BenchReport = {
      machine: MACHINE,
      options: OPTIONS,
      rows: [closedLoopRow(BENCH_SETUP.RSB, 400_000, 1.3)],
      rateRows: [],
      verdicts: [],
      leftOut: [{ setup: BENCH_SETUP.NATS, reason: 'nats-server is not installed (Debian: apt-get install nats-server): the nats set-up is left out' }],
    };
    const lines = formatBenchReport(report);
    expect(lines.filter((line) => line.includes('nats'))).toEqual(['nats-server is not installed (Debian: apt-get install nats-server): the nats set-up is left out']);
    expect(lines.indexOf('nats-server is not installed (Debian: apt-get install nats-server): the nats set-up is left out')).toBeGreaterThan(lines.indexOf('| rsb | 256 | 400,000 | 500 µs | 2.00 ms | 4.00 ms | 1.30 µs | 0 |'));
  });

  it('at a fixed rate, prints the broker\'s and the generator\'s CPU per request for rsb and nats', () => {
    const report: BenchReport = {
      machine: MACHINE,
      options: { ...OPTIONS, rate: 62_000, pacingMs: 1 },
      rows: [],
      rateRows: [rateRow(BENCH_SETUP.RSB, 3.1, 2.4), rateRow(BENCH_SETUP.NATS, 5.2, 2.9)],
      verdicts: [],
      leftOut: [],
    };
    const lines = formatBenchReport(report);
    expect(lines[1]).toContain('open loop at 62,000 requests/s through rsb load\'s generator');
    expect(lines).toContain('| set-up | rate | achieved | p50 | p99 | p99.9 | lag p99 | broker CPU/request | generator CPU/request | errors |');
    expect(lines).toContain('| rsb | 62,000/s | 62,000/s | 900 µs | 3.00 ms | 5.00 ms | 1.50 ms | 3.10 µs | 2.40 µs | 0 |');
    expect(lines).toContain('| nats | 62,000/s | 62,000/s | 900 µs | 3.00 ms | 5.00 ms | 1.50 ms | 5.20 µs | 2.90 µs | 0 |');
  });
});
