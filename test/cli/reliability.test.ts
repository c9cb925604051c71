import { describe, expect, it } from 'vitest';
import type { ReliabilityReport } from '../../src/reliability/index.js';
import { runRsb } from '../support/processes.js';

describe('rsb reliability', () => {
  it('runs every case on real broker processes and reports that each held, with nothing unanswered', async () => {
    const { code, stdout, stderr } = await runRsb(['reliability', '--quick', '--json'], { timeoutMs: 120_000 });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as ReliabilityReport;
    expect(report.cases.map((result) => result.name)).toEqual(['bad input', 'stream ids', 'backpressure', 'scale']);
    for (const result of report.cases) expect(result, result.notes.join('; ')).toMatchObject({ isPassed: true, unanswered: 0, errored: 0 });
    expect(report.totals.unanswered).toBe(0);
    expect(report.isPassed).toBe(true);
  }, 120_000);
});
