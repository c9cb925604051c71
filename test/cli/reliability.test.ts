import { describe, expect, it } from 'vitest';
import type { ReliabilityReport } from '../../src/reliability/index.js';
import { runRsb } from '../support/processes.js';

describe('rsb reliability', () => {
  it('runs every case on real broker processes and reports that each held, with nothing unanswered', async () => {
    const { code, stdout, stderr } = await runRsb(['reliability', '--quick', '--json'], { timeoutMs: 300_000 });
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as ReliabilityReport;
    expect(report.cases.map((result) => result.name)).toEqual(['bad input', 'transport bad input', 'stream ids', 'backpressure', 'scale', 'mock killed', 'broker killed', 'network partition']);
    // The partition case runs where the lab can (root, iproute2, dnsmasq, as in CI), and says why not elsewhere.
    const partition = report.cases.at(-1)!;
    expect(partition.isSkipped === true ? partition.notes[0] : 'ran').toMatch(process.getuid?.() === 0 ? /^ran$/ : /^skipped: the host lab needs/);
    for (const result of report.cases) expect(result, result.notes.join('; ')).toMatchObject({ isPassed: true, unanswered: 0 });
    // Only a fault may cost errors: what was in flight on the process killed.
    for (const result of report.cases.slice(0, 5)) expect(result.errored, result.name).toBe(0);
    expect(report.totals.brokerRestarts).toBe(1);
    expect(report.totals.unanswered).toBe(0);
    expect(report.isPassed).toBe(true);
  }, 300_000);
});
