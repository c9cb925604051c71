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
