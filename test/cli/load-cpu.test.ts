import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/load/index.js';
import type { LegResult, LoadResultFile, ProcessCpu } from '../../src/load/results.js';
import { checkLoadResult, findUnitlessFigures } from '../support/load-schema.js';
import { runRsb, startBrokerProcess } from '../support/processes.js';

/** On this shared two-core machine the schedule lag says more about the neighbours than about rsb: this test is not about validity. */
const RELAXED = ['--max-lag', '5s'];

/** Two brokers and a service of two instances: every process of the self-started topology gets its own figure. */
const SCENARIO = `name: cpu
topology:
  brokers: 2
  mocks:
    - { service: svc, methods: [echo], instances: 2 }
profile: { type: constant, rate: 1000, duration: 2s }
mix:
  - { route: svc.echo }
`;

/** The summary's, and the report's, rendering of a figure. */
const perRequest = (process: ProcessCpu): string => `${process.cpuUsPerRequest!.toFixed(2)} µs`;

function expectPriced(process: ProcessCpu, name: string, requests: number): void {
  expect(process.name).toBe(name);
  expect(process.pid).toBeGreaterThan(0);
  expect(process.requests).toBe(requests);
  expect(process.cpuMs).toBeGreaterThan(0);
  expect(process.cpuUsPerRequest).toBeGreaterThan(0);
  // Both are rounded to the nanosecond.
  expect(process.cpuUsPerRequest).toBeCloseTo((process.cpuMs! * 1000) / requests, 2);
}

/** The `cpu` line of a leg's summary: each process of the leg, this one first. */
function summaryLine(leg: LegResult): string {
  const processes = [leg.cpu!.load, ...leg.cpu!.brokers, ...leg.cpu!.mocks];
  return `  cpu        ${processes.map((process) => `${process.name} ${perRequest(process)}/request`).join('; ')}`;
}

describe('rsb load: CPU per request', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rsb-load-cpu-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with a self-started topology, prices each broker, each mock and the load process per request, the same in the summary, JSON and HTML report', async () => {
    const scenario = join(dir, 'cpu.yaml');
    const out = join(dir, 'cpu.json');
    const report = join(dir, 'cpu.html');
    await writeFile(scenario, SCENARIO);
    const { code, stdout, stderr } = await runRsb(['load', '--scenario', scenario, '--baseline', '--out', out, '--report', report, ...RELAXED], { timeoutMs: 60_000 });
    expect(code, stderr + stdout).toBe(0);
    const started = new Map([...stdout.matchAll(/started ((?:broker|mock)-\d) \(pid (\d+)\)/g)].map((match) => [match[1], Number(match[2])]));
    const { detail: _, ...file } = JSON.parse(await readFile(out, 'utf8')) as LoadResultFile;
    expect(checkLoadResult(file)).toEqual([]);
    expect(findUnitlessFigures(file)).toEqual([]);
    const { run, baseline } = file;

    expect(run.requests).toMatchObject({ sent: 2000, ok: 2000 });
    expectPriced(run.cpu!.load, 'rsb load', 2000);
    expect(run.cpu!.load.pid).not.toBe(started.get('broker-1'));
    expect(run.cpu!.brokers).toHaveLength(2);
    run.cpu!.brokers.forEach((broker, i) => {
      expectPriced(broker, `broker-${i + 1}`, run.brokers[i]!.outcomes.OK!);
      expect(broker.pid).toBe(started.get(`broker-${i + 1}`));
    });
    expect(run.cpu!.brokers.reduce((sum, broker) => sum + broker.requests, 0)).toBe(2000);
    expect(run.cpu!.mocks).toHaveLength(2);
    run.cpu!.mocks.forEach((mock, i) => {
      expectPriced(mock, `mock-${i + 1}`, 1000);
      expect(mock.pid).toBe(started.get(`mock-${i + 1}`));
    });

    // Straight at the mocks: no broker on the path, none priced.
    expectPriced(baseline!.cpu!.load, 'rsb load', 2000);
    expect(baseline!.cpu!.brokers).toEqual([]);
    baseline!.cpu!.mocks.forEach((mock, i) => expectPriced(mock, `mock-${i + 1}`, 1000));

    expect(stdout).toContain(summaryLine(baseline!));
    expect(stdout).toContain(summaryLine(run));
    const html = await readFile(report, 'utf8');
    expect(html).toContain('<h2>CPU per request</h2>');
    for (const leg of [baseline!, run]) {
      for (const process of [leg.cpu!.load, ...leg.cpu!.brokers, ...leg.cpu!.mocks]) {
        expect(html).toContain(`<tr><td>${leg.label}</td><td>${process.name}</td><td>${process.requests.toLocaleString('en-US')}</td>`);
        expect(html).toContain(`<td>${perRequest(process)}</td></tr>`);
      }
    }
  }, 70_000);

  it('prices only itself when it loads brokers it did not start', async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const { code, stdout, stderr } = await runRsb(['load', '--broker', `127.0.0.1:${port}`, '--qps', '200', '--duration', '1s', '--json', ...RELAXED], { timeoutMs: 30_000 });
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout) as LoadResult;
      expect(checkLoadResult(result)).toEqual([]);
      const { cpu } = result.run;
      expectPriced(cpu!.load, 'rsb load', 200);
      expect(cpu!.brokers).toEqual([]);
      expect(cpu!.mocks).toEqual([]);
    } finally {
      await broker.stop();
    }
  }, 40_000);
});
