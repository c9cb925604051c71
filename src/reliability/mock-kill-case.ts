import type { CaseResult } from './case-result.js';
import { countAnswersFrom, countRunFigures, describeErrors, describeFault, describeWindow, runFaultLoad, seconds, type FaultLoadOptions } from './fault-load-run.js';

/** New requests must reach the instances left within this long of the kill: the reliability target. */
export const MOCK_RECOVERY_BOUND_MS = 1_000;
const INSTANCES = 2;

/**
 * Under a constant load through one broker, one of two mock instances is killed with
 * SIGKILL mid-run. What it had in flight must end with an error, not hang: nothing may be
 * left unanswered (a request timing out counts as unanswered); the errors must stop within
 * a second (the broker drops the dead instance and routes to the one left), and none may
 * come afterwards.
 */
export async function runMockKillCase(options: FaultLoadOptions): Promise<CaseResult> {
  const killAtMs = Math.round(options.durationMs * 0.4);
  const run = await runFaultLoad(
    'mock killed',
    { brokers: 1, mocks: [{ service: 'svc', methods: ['echo'], instances: INSTANCES }] },
    [describeFault(killAtMs, 'kill', 'mock-1')],
    options,
  );
  const kill = run.faults[0]!;
  const recoveredAfterMs = kill.recoveredAfterMs;
  const windowErrors = kill.errorWindow?.errors ?? 0;
  const isRecoveredInTime = recoveredAfterMs !== undefined && recoveredAfterMs <= MOCK_RECOVERY_BOUND_MS;
  // One broker: every answer after the kill came from the instance left.
  const after = kill.firedAtMs === undefined ? undefined : countAnswersFrom(run.timeline, kill.firedAtMs + MOCK_RECOVERY_BOUND_MS, 0);
  const failures: string[] = [];
  if (kill.firedAtMs === undefined || kill.error) failures.push(`the kill did not happen${kill.error ? `: ${kill.error}` : ''}`);
  if (!isRecoveredInTime) failures.push(`recovery took ${recoveredAfterMs === undefined ? 'until the end of the run' : `${recoveredAfterMs.toFixed(0)} ms`}, bound ${MOCK_RECOVERY_BOUND_MS} ms`);
  if (run.leg.requests.errors !== windowErrors) failures.push(`${run.leg.requests.errors - windowErrors} errors outside the kill's error window`);
  if (!after || after.ok === 0 || after.errors > 0) failures.push('the instance left did not answer every request after the kill');
  return {
    name: 'mock killed',
    claim: `kill -9 of one of ${INSTANCES} mock instances at ${seconds(killAtMs)} under ${options.rate.toLocaleString('en-US')} requests/s through one broker: every request answered or failed, routed to the instance left within ${MOCK_RECOVERY_BOUND_MS / 1000} s`,
    connections: 1 + INSTANCES,
    ...countRunFigures(run),
    brokerRestarts: 0,
    isPassed: failures.length === 0 && run.figures.unanswered === 0,
    notes: [
      `mock-1 killed at ${kill.firedAtMs === undefined ? 'never' : seconds(kill.firedAtMs)}: ${describeWindow(kill)}, recovered after ${recoveredAfterMs === undefined ? 'NEVER' : `${recoveredAfterMs.toFixed(0)} ms`} (errors: ${describeErrors(run.leg)})`,
      after ? `from 1 s after the kill the instance left answered ${after.ok.toLocaleString('en-US')} requests, ${after.errors} errors` : 'no answers after the kill',
      ...failures,
    ],
  };
}
