/**
 * How a request ended: the one vocabulary of the broker's traffic counts and the load
 * generators' results. Values index flat typed-array counters (`[row * OUTCOME_COUNT +
 * outcome]`), so counting costs one increment and no lookup by name. Each counter uses the
 * outcomes it can tell apart: the broker forwards an instance's ERROR frame unread, so it
 * counts every error code as ERROR; a load generator reads the code and counts
 * APPLICATION_ERROR, INVALID and the rest apart.
 */
export const OUTCOME = {
  /** Answered (or, fire-and-forget, delivered). */
  OK: 0,
  /** Refused before any service took it: ERROR[REJECTED] (no instance, a limit, an open circuit, not allowed). */
  REJECTED: 1,
  /** ERROR[APPLICATION_ERROR]: the service failed it. */
  APPLICATION_ERROR: 2,
  /** Cancelled: the requester sent CANCEL or left, or stopped waiting at the end of a run (or the answer was ERROR[CANCELED]). */
  CANCELED: 3,
  /** ERROR[INVALID]. */
  INVALID: 4,
  /** An ERROR frame with any other code (application-defined codes included). */
  OTHER_ERROR: 5,
  /** No answer within the request timeout; a CANCEL was sent. */
  TIMEOUT: 6,
  /** The connection carrying the request ended mid-request (on the broker: the instance's), or there was none to send it on. */
  CONNECTION_LOST: 7,
  /** The service answered with an ERROR frame whose code was not read (the broker's count). */
  ERROR: 8,
} as const;
export type Outcome = (typeof OUTCOME)[keyof typeof OUTCOME];
export const OUTCOME_COUNT = 9;

/** Names as load reports and `--json` show them: the names of the OUTCOME keys. */
export const OUTCOME_NAMES = ['OK', 'REJECTED', 'APPLICATION_ERROR', 'CANCELED', 'INVALID', 'OTHER_ERROR', 'TIMEOUT', 'CONNECTION_LOST', 'ERROR'] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];
