import type { CaseResult } from './case-result.js';
import { countAnswersFrom, countRunFigures, describeErrors, describeFault, describeWindow, runFaultLoad, seconds, type FaultLoadOptions } from './fault-load-run.js';

/** New requests must reach the brokers left within this long of the kill: the reliability target. */
export const BROKER_RECOVERY_BOUND_MS = 1_000;
/**
 * Once the restarted broker listens, the mocks and the load generator redial within a
 * second (±20 % jitter): until the mocks have registered on it again it answers
 * REJECTED. Its errors must have stopped within this long of its listening.
 */
export const REREGISTRATION_BOUND_MS = 2_000;
/** The load generator redials a lost broker at most this far apart (src/load/connection-pool.ts). */
const REDIAL_MS = 1_000;
/** After that, round-robin gives each of the three brokers a third of the answers: at least this share counts as spread again. */
const SPREAD_SHARE = 0.25;
const BROKERS = 3;
const INSTANCES = 2;
const KILLED = 1;

/**
 * Under a constant load spread over three brokers, broker-2 is killed with SIGKILL and,
 * a while later, started again on its port. The kill may cost only what was in flight on
 * it (errors, never a hang), and new requests must go to the other two within a second.
 * After the restart the generator reconnects, the mocks register again, and broker-2
 * routes its share of the requests again.
 */
export async function runBrokerKillCase(options: FaultLoadOptions): Promise<CaseResult> {
  // Early in the run: a restart takes a second, three on a busy machine, and then broker-2 needs seconds to show its share again.
  const killAtMs = Math.round(options.durationMs * 0.15);
  const restartAtMs = Math.round(options.durationMs * 0.25);
  const run = await runFaultLoad(
    'broker killed',
    { brokers: BROKERS, mocks: [{ service: 'svc', methods: ['echo'], instances: INSTANCES }] },
    [describeFault(killAtMs, 'kill', 'broker-2'), describeFault(restartAtMs, 'restart', 'broker-2')],
    options,
  );
  const [kill, restart] = run.faults as [(typeof run.faults)[number], (typeof run.faults)[number]];
  const failures: string[] = [];
  if (kill.firedAtMs === undefined || kill.error) failures.push(`the kill did not happen${kill.error ? `: ${kill.error}` : ''}`);
  if (kill.recoveredAfterMs === undefined || kill.recoveredAfterMs > BROKER_RECOVERY_BOUND_MS) {
    failures.push(`recovery from the kill took ${kill.recoveredAfterMs === undefined ? 'until the restart' : `${kill.recoveredAfterMs.toFixed(0)} ms`}, bound ${BROKER_RECOVERY_BOUND_MS} ms`);
  }
  const upAgainAtMs = restart.doneAtMs;
  if (upAgainAtMs === undefined || restart.error) failures.push(`the restart did not happen${restart.error ? `: ${restart.error}` : ''}`);
  const restartErrorsEndMs = restart.errorWindow?.toMs ?? upAgainAtMs ?? Infinity;
  if (upAgainAtMs !== undefined && (restart.recoveredAfterMs === undefined || restartErrorsEndMs > upAgainAtMs + REREGISTRATION_BOUND_MS)) {
    failures.push(`broker-2 still failed requests ${restart.recoveredAfterMs === undefined ? 'at the end of the run' : `${((restartErrorsEndMs - upAgainAtMs) / 1000).toFixed(2)} s after listening again`}, bound ${REREGISTRATION_BOUND_MS / 1000} s`);
  }
  const windowErrors = (kill.errorWindow?.errors ?? 0) + (restart.errorWindow?.errors ?? 0);
  if (run.leg.requests.errors !== windowErrors) failures.push(`${run.leg.requests.errors - windowErrors} errors outside the faults' error windows`);
  // Rows that began once the generator had redialled broker-2 (within a second of its listening) and its errors were over: it must carry about a third again.
  const spread = upAgainAtMs === undefined ? undefined : countAnswersFrom(run.timeline, Math.max(upAgainAtMs + REDIAL_MS, restartErrorsEndMs), KILLED);
  const share = spread && spread.okAll > 0 ? spread.ok / spread.okAll : 0;
  if (!spread || spread.rows === 0) failures.push('no second of the run was left after broker-2 came back');
  else if (share < SPREAD_SHARE) failures.push(`broker-2 answered only ${(share * 100).toFixed(1)} % after it came back`);
  const routedAfter = upAgainAtMs === undefined ? 0 : countAnswersFrom(run.timeline, upAgainAtMs, KILLED).ok;
  return {
    name: 'broker killed',
    claim:
      `kill -9 of broker-2 of ${BROKERS} at ${seconds(killAtMs)}, restarted at ${seconds(restartAtMs)}, under ${options.rate.toLocaleString('en-US')} requests/s ` +
      `to ${INSTANCES} mock instances: every request answered or failed, the other brokers take over within ${BROKER_RECOVERY_BOUND_MS / 1000} s, broker-2 routes its share again once back`,
    connections: BROKERS * (1 + INSTANCES),
    ...countRunFigures(run),
    brokerRestarts: failures.length === 0 ? 1 : 0,
    isPassed: failures.length === 0 && run.figures.unanswered === 0,
    notes: [
      `kill: ${describeWindow(kill)}, recovered after ${kill.recoveredAfterMs === undefined ? 'NEVER' : `${kill.recoveredAfterMs.toFixed(0)} ms`}`,
      `restart: listening again at ${upAgainAtMs === undefined ? 'never' : seconds(upAgainAtMs)}, ${restart.errorWindow ? `${describeWindow(restart)} until the mocks had registered again` : 'no errors after it'}`,
      `broker-2 answered ${routedAfter.toLocaleString('en-US')} requests after the restart, ${(share * 100).toFixed(1)} % of all once settled (errors: ${describeErrors(run.leg)})`,
      ...failures,
    ],
  };
}
