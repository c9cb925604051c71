import os from 'node:os';
import { formatCount } from '../cli/format.js';
import { COLUMN_ALIGN, formatMarkdownTable } from '../cli/table.js';
import { runBadInputCase } from './bad-input-case.js';
import { runBackpressureCase } from './backpressure-case.js';
import { runBrokerKillCase } from './broker-kill-case.js';
import type { CaseResult } from './case-result.js';
import { runMockKillCase } from './mock-kill-case.js';
import { runPartitionCase } from './partition-case.js';
import { runScaleCase } from './scale-case.js';
import { runStreamIdCase } from './stream-id-case.js';
import { runTransportInputCase } from './transport-input-case.js';

const { LEFT, RIGHT, CENTER } = COLUMN_ALIGN;

export interface ReliabilityOptions {
  /** Smaller sizes (for CI and a first look): 200 fuzzed connections, 256 MiB, 2,000 connections, 10 s fault runs at 3,000/s. */
  isQuick: boolean;
  onProgress?: (line: string) => void;
}

export interface ReliabilityReport {
  machine: { cpus: number; memoryGiB: number; node: string };
  cases: CaseResult[];
  totals: { connections: number; requestsSent: number; answered: number; errored: number; unanswered: number; brokerRestarts: number; peakBrokerRssBytes: number };
  isPassed: boolean;
}

/** The faults-under-load cases: long enough that the restarted broker has seconds to take its share again. */
const QUICK_FAULT_LOAD = { rate: 3_000, durationMs: 10_000 };
const FULL_FAULT_LOAD = { rate: 8_000, durationMs: 24_000 };

/** Every reliability case in turn, each on its own broker processes; one table of what was tried and what held. */
export async function runReliability(options: ReliabilityOptions): Promise<ReliabilityReport> {
  const progress = options.onProgress ?? (() => {});
  const quick = options.isQuick;
  const plan: { name: string; run: () => Promise<CaseResult> }[] = [
    { name: 'bad input', run: () => runBadInputCase({ fuzzConnections: quick ? 200 : 2_000 }) },
    { name: 'transport bad input', run: () => runTransportInputCase() },
    { name: 'stream ids', run: () => runStreamIdCase({ requests: quick ? 10_000 : 100_000 }) },
    { name: 'backpressure', run: () => runBackpressureCase({ totalBytes: quick ? 256 * 2 ** 20 : 2 ** 30, stallMs: quick ? 1_500 : 3_000, rssBoundBytes: 256 * 2 ** 20 }) },
    { name: 'scale', run: () => runScaleCase({ connections: quick ? 2_000 : 10_000 }) },
    { name: 'mock killed', run: () => runMockKillCase(quick ? QUICK_FAULT_LOAD : FULL_FAULT_LOAD) },
    { name: 'broker killed', run: () => runBrokerKillCase(quick ? QUICK_FAULT_LOAD : FULL_FAULT_LOAD) },
    { name: 'network partition', run: () => runPartitionCase(quick ? QUICK_FAULT_LOAD : FULL_FAULT_LOAD) },
  ];
  const cases: CaseResult[] = [];
  for (const step of plan) {
    progress(`running ${step.name}...`);
    const result = await step.run();
    progress(`${step.name}: ${result.isSkipped ? 'skipped' : result.isPassed ? 'held' : 'FAILED'} — ${result.notes.join('; ')}`);
    cases.push(result);
  }
  const sum = (pick: (result: CaseResult) => number): number => cases.reduce((total, result) => total + pick(result), 0);
  return {
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    cases,
    totals: {
      connections: sum((result) => result.connections),
      requestsSent: sum((result) => result.requestsSent),
      answered: sum((result) => result.answered),
      errored: sum((result) => result.errored),
      unanswered: sum((result) => result.unanswered),
      brokerRestarts: sum((result) => result.brokerRestarts),
      peakBrokerRssBytes: Math.max(...cases.map((result) => result.peakBrokerRssBytes)),
    },
    isPassed: cases.every((result) => result.isPassed),
  };
}

/** The report as the table `rsb reliability` prints and docs/benchmarks.md shows. */
export function formatReliabilityReport(report: ReliabilityReport): string[] {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const row = (name: string, figures: ReliabilityReport['totals'], isPassed: boolean, isSkipped = false): string[] => [
    name,
    formatCount(figures.connections),
    formatCount(figures.requestsSent),
    formatCount(figures.answered),
    formatCount(figures.errored),
    formatCount(figures.unanswered),
    String(figures.brokerRestarts),
    mib(figures.peakBrokerRssBytes),
    isSkipped ? 'skipped' : isPassed ? 'yes' : 'NO',
  ];
  const lines = formatMarkdownTable(
    ['case', 'connections', 'requests sent', 'answered', 'errored', 'unanswered', 'broker restarts', 'peak broker RSS', 'held'],
    [...report.cases.map((result) => row(result.name, result, result.isPassed, result.isSkipped)), row('**all**', report.totals, report.isPassed)],
    [LEFT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, CENTER],
  );
  lines.push('');
  for (const result of report.cases) lines.push(`- ${result.name}: ${result.claim}. ${result.notes.join('; ')}`);
  return lines;
}
