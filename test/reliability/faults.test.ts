import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MOCK_RECOVERY_BOUND_MS, BROKER_RECOVERY_BOUND_MS, runBrokerKillCase, runMockKillCase } from '../../src/reliability/index.js';

/** Quick sizes, as `rsb reliability --quick` runs them; generators on this thread (the tests run from the sources). */
const QUICK = { rate: 3_000, durationMs: 10_000, isInThread: true };

/** Processes this test left behind: brokers and mocks are children of this process, started from bin/run.js. */
function leftoverProcesses(): string {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-fa', 'bin/run.js'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('reliability under faults', () => {
  it('answers or fails every request when a mock instance of two is killed under load, and routes to the other within a second', async () => {
    const result = await runMockKillCase(QUICK);
    expect(result, result.notes.join('; ')).toMatchObject({ name: 'mock killed', unanswered: 0, brokerRestarts: 0, isPassed: true });
    expect(result.requestsSent).toBe(30_000);
    expect(result.answered + result.errored).toBe(result.requestsSent);
    expect(result.notes[0]).toMatch(/^mock-1 killed at [\d.]+ s: (no errors|errors from [\d.]+ s to [\d.]+ s \(\d+\)), recovered after (\d+) ms/);
    expect(Number(/recovered after (\d+) ms/.exec(result.notes[0]!)![1])).toBeLessThanOrEqual(MOCK_RECOVERY_BOUND_MS);
    expect(result.peakBrokerRssBytes).toBeGreaterThan(10 * 2 ** 20);
  }, 60_000);

  it('answers or fails every request when a broker of three is killed under load, and spreads over it again once restarted', async () => {
    const result = await runBrokerKillCase(QUICK);
    expect(result, result.notes.join('; ')).toMatchObject({ name: 'broker killed', unanswered: 0, brokerRestarts: 1, isPassed: true });
    expect(result.requestsSent).toBe(30_000);
    expect(result.answered + result.errored).toBe(result.requestsSent);
    expect(Number(/^kill: .*recovered after (\d+) ms/.exec(result.notes[0]!)![1])).toBeLessThanOrEqual(BROKER_RECOVERY_BOUND_MS);
    expect(result.notes[1]).toMatch(/^restart: listening again at [\d.]+ s/);
    expect(Number(/^broker-2 answered ([\d,]+) requests after the restart/.exec(result.notes[2]!)![1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(result.peakBrokerRssBytes).toBeGreaterThan(10 * 2 ** 20);
  }, 60_000);

  it('leaves no broker or mock process behind', () => {
    expect(leftoverProcesses()).toBe('');
  });
});
