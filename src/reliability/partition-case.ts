import { checkLabTools } from '../cluster/index.js';
import { LabUnavailableError } from '../errors.js';
import type { CaseResult } from './case-result.js';
import { countRunFigures, describeErrors, describeFault, describeWindow, runFaultLoad, seconds, type FaultLoadOptions } from './fault-load-run.js';

/** Requests sent after the cut must stop going to the broker cut off within this long: found by keepalive, not TCP. */
export const PARTITION_DETECTION_BOUND_MS = 2_000;
/** After the heal, the broker must answer its share again — reconnected, the mocks registered — within this long. */
export const PARTITION_RETURN_BOUND_MS = 3_000;
/** The generators' and mocks' keepalive lifetime: keepalives every 250 ms, a silent broker gone after 1 s. */
export const PARTITION_KEEPALIVE_LIFETIME_MS = 1_000;
const PARTITION_MS = 5_000;
const BROKERS = 3;
const INSTANCES = 2;
/** A run this long at least: the heal needs seconds after it to show the broker back. */
const MIN_DURATION_MS = 14_000;

/**
 * Under a constant load over a lab of three hosts (`rsb cluster up --hosts`), with two
 * mock instances each registered on every broker through the lab's DNS name, broker-2's
 * host is cut off (its link down) for 5 s. Nothing may be left unanswered; requests must
 * stop going to it within 2 s (the keepalive lifetime finds it: a cut-off TCP connection
 * says nothing for minutes); after the heal it must answer its share again within 3 s.
 * Needs root and iproute2 and dnsmasq: without them the case is skipped with a line saying so.
 */
export async function runPartitionCase(options: FaultLoadOptions): Promise<CaseResult> {
  const durationMs = Math.max(options.durationMs, MIN_DURATION_MS);
  const claim =
    `broker-2 of ${BROKERS} hosts cut off for ${PARTITION_MS / 1000} s under ${options.rate.toLocaleString('en-US')} requests/s to ${INSTANCES} mock instances registered through DNS: ` +
    `every request answered or failed, requests leave it within ${PARTITION_DETECTION_BOUND_MS / 1000} s (keepalive lifetime ${PARTITION_KEEPALIVE_LIFETIME_MS / 1000} s), it is back within ${PARTITION_RETURN_BOUND_MS / 1000} s of the heal`;
  try {
    await checkLabTools({ dnsmasq: true });
  } catch (error) {
    if (!(error instanceof LabUnavailableError)) throw error;
    return skipped(claim, `skipped: ${error.message}`);
  }
  const cutAtMs = Math.round(durationMs * 0.2);
  const run = await runFaultLoad(
    'network partition',
    { brokers: BROKERS, mocks: [{ service: 'svc', methods: ['echo'], instances: INSTANCES }], hosts: true },
    [describeFault(cutAtMs, 'partition', 'broker-2', PARTITION_MS)],
    { ...options, durationMs, keepaliveLifetimeMs: PARTITION_KEEPALIVE_LIFETIME_MS },
  );
  const fault = run.faults[0]!;
  const partition = fault.partition;
  const failures: string[] = [];
  if (fault.firedAtMs === undefined || fault.doneAtMs === undefined || fault.error) failures.push(`the partition did not happen${fault.error ? `: ${fault.error}` : ''}`);
  const lostAfterMs = partition?.lostAfterMs;
  if (lostAfterMs === undefined || lostAfterMs > PARTITION_DETECTION_BOUND_MS) {
    failures.push(`requests left broker-2 ${lostAfterMs === undefined ? 'never' : `after ${lostAfterMs.toFixed(0)} ms`}, bound ${PARTITION_DETECTION_BOUND_MS} ms`);
  }
  const backAfterMs = partition?.backAfterHealMs;
  if (backAfterMs === undefined || backAfterMs > PARTITION_RETURN_BOUND_MS) {
    failures.push(`broker-2 was back ${backAfterMs === undefined ? 'never' : `${backAfterMs.toFixed(0)} ms after the heal`}, bound ${PARTITION_RETURN_BOUND_MS} ms`);
  }
  const windowErrors = (fault.errorWindow?.errors ?? 0) + (partition?.healErrorWindow?.errors ?? 0);
  if (run.leg.requests.errors !== windowErrors) failures.push(`${run.leg.requests.errors - windowErrors} errors outside the partition's error windows`);
  return {
    name: 'network partition',
    claim,
    connections: BROKERS * (1 + INSTANCES),
    ...countRunFigures(run),
    brokerRestarts: 0,
    isPassed: failures.length === 0 && run.figures.unanswered === 0,
    notes: [
      `cut at ${fault.firedAtMs === undefined ? 'never' : seconds(fault.firedAtMs)}: requests left broker-2 after ${lostAfterMs === undefined ? 'NEVER' : `${lostAfterMs.toFixed(0)} ms`}, ${describeWindow(fault)}`,
      `healed at ${fault.doneAtMs === undefined ? 'never' : seconds(fault.doneAtMs)}: ${partition?.healErrorWindow ? `${partition.healErrorWindow.errors.toLocaleString('en-US')} errors until the mocks had registered again` : 'no errors'}, back in rotation after ${backAfterMs === undefined ? 'NEVER' : `${backAfterMs.toFixed(0)} ms`} (errors: ${describeErrors(run.leg)})`,
      `on lab ${run.lab?.bridge ?? '?'} (${run.lab?.subnet ?? '?'}), keepalive lifetime ${PARTITION_KEEPALIVE_LIFETIME_MS} ms`,
      ...failures,
    ],
  };
}

function skipped(claim: string, note: string): CaseResult {
  return {
    name: 'network partition',
    claim,
    connections: 0,
    requestsSent: 0,
    answered: 0,
    errored: 0,
    unanswered: 0,
    brokerRestarts: 0,
    peakBrokerRssBytes: 0,
    isPassed: true,
    isSkipped: true,
    notes: [note],
  };
}
