/**
 * rsb's exit codes, the same for every command (docs/errors.md, "Exit codes"). Scripts and CI
 * jobs rely on them: never renumber.
 */
export const EXIT_CODE = {
  OK: 0,
  /** Anything not covered below: a bug, or a failure with no better code. */
  ERROR: 1,
  /** A bad flag, argument, scenario or config file. */
  USAGE: 2,
  /** `rsb load`: the run was valid but a threshold failed. */
  THRESHOLDS_FAILED: 3,
  /** `rsb load`: the generator could not keep its schedule, so the figures say nothing of the broker. */
  INVALID_RUN: 4,
  /** A request ended with an RSocket ERROR frame. */
  RSOCKET_ERROR: 5,
  /** A request or connection timed out. */
  TIMEOUT: 6,
  /** No connection could be made, or the peer refused the SETUP. */
  NO_CONNECTION: 7,
  /** `rsb load`: SIGINT (Ctrl-C) ended the run early; the shell's 128 + 2. */
  INTERRUPTED: 130,
  /** `rsb load`: SIGTERM ended the run early; the shell's 128 + 15. */
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];
