// The load generators' side of the outcome vocabulary (src/protocol/outcome.ts): error codes classified, counts by name.
import { ERROR_CODE, OUTCOME, OUTCOME_COUNT, OUTCOME_NAMES, type Outcome, type OutcomeName } from '../protocol/index.js';

export function classifyErrorCode(code: number): Outcome {
  switch (code) {
    case ERROR_CODE.REJECTED:
      return OUTCOME.REJECTED;
    case ERROR_CODE.APPLICATION_ERROR:
      return OUTCOME.APPLICATION_ERROR;
    case ERROR_CODE.CANCELED:
      return OUTCOME.CANCELED;
    case ERROR_CODE.INVALID:
      return OUTCOME.INVALID;
    default:
      return OUTCOME.OTHER_ERROR;
  }
}

/** Counts by outcome name, zero counts left out: `{ OK: 61998, REJECTED: 2 }`. */
export type OutcomeCounts = Partial<Record<OutcomeName, number>>;

export function toOutcomeCounts(counts: ArrayLike<number>, target: number): OutcomeCounts {
  const named: OutcomeCounts = {};
  for (let outcome = 0; outcome < OUTCOME_COUNT; outcome++) {
    const count = counts[target * OUTCOME_COUNT + outcome]!;
    if (count > 0) named[OUTCOME_NAMES[outcome]!] = count;
  }
  return named;
}

export function addOutcomeCounts(into: OutcomeCounts, more: OutcomeCounts): OutcomeCounts {
  for (const [name, count] of Object.entries(more) as [OutcomeName, number][]) into[name] = (into[name] ?? 0) + count;
  return into;
}

export function countAnswered(counts: OutcomeCounts): number {
  let total = 0;
  for (const count of Object.values(counts)) total += count ?? 0;
  return total;
}

export function countErrors(counts: OutcomeCounts): number {
  return countAnswered(counts) - (counts.OK ?? 0);
}

/**
 * The errors of one interval as the generators report them: when the first and the last
 * came (run-relative ms, -1 when none), and the first message of each outcome, once per run.
 */
export class IntervalErrors {
  private firstAtMs = -1;
  private lastAtMs = -1;
  private samples: { outcome: number; message: string }[] = [];
  /** Outcomes already sampled, a bit each. */
  private seen = 0;

  note(outcome: number, message: string, atMs: number): void {
    if (this.firstAtMs < 0) this.firstAtMs = atMs;
    this.lastAtMs = atMs;
    if ((this.seen & (1 << outcome)) !== 0) return;
    this.seen |= 1 << outcome;
    this.samples.push({ outcome, message });
  }

  /** The interval's figures, in the snapshot's fields; the next interval starts empty. */
  take(): { errorSamples: { outcome: number; message: string }[]; firstErrorAtMs: number; lastErrorAtMs: number } {
    const taken = { errorSamples: this.samples, firstErrorAtMs: this.firstAtMs, lastErrorAtMs: this.lastAtMs };
    this.samples = [];
    this.firstAtMs = -1;
    this.lastAtMs = -1;
    return taken;
  }
}
