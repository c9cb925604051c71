/** One row of the reliability table. */
export interface CaseResult {
  name: string;
  /** What the case proves, in one line. */
  claim: string;
  connections: number;
  requestsSent: number;
  answered: number;
  errored: number;
  /** Requests with neither an answer nor an error: must be 0. */
  unanswered: number;
  brokerRestarts: number;
  peakBrokerRssBytes: number;
  isPassed: boolean;
  /** Not run here (the machine lacks what it needs, said in the notes); it neither held nor failed. */
  isSkipped?: boolean;
  /** Figures particular to the case, e.g. memory per idle connection. */
  notes: string[];
}

/** What the well-behaved clients beside a bad-input case sent and got. */
export interface NeighbourTraffic {
  sent: number;
  answered: number;
  errored: number;
  unanswered: number;
}

/**
 * The row of a bad-input case: it held when every scripted input was answered as
 * expected (`failures` empty), the neighbours saw no error and nothing is left unanswered,
 * and the broker is alive.
 */
export function reportBadInputRun(run: {
  name: string;
  claim: string;
  connections: number;
  traffic: NeighbourTraffic;
  failures: string[];
  isBrokerAlive: boolean;
  peakBrokerRssBytes: number;
  /** The note when every scripted case was answered as expected. */
  heldNote: string;
}): CaseResult {
  const { traffic } = run;
  return {
    name: run.name,
    claim: run.claim,
    connections: run.connections,
    requestsSent: traffic.sent,
    answered: traffic.answered,
    errored: traffic.errored,
    unanswered: traffic.unanswered,
    brokerRestarts: 0,
    peakBrokerRssBytes: run.peakBrokerRssBytes,
    isPassed: run.failures.length === 0 && traffic.errored === 0 && traffic.unanswered === 0 && run.isBrokerAlive,
    notes: run.failures.length ? run.failures : [`${run.heldNote}; broker ${run.isBrokerAlive ? 'alive' : 'DEAD'}`],
  };
}
