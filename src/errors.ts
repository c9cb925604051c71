import { nameErrorCode } from './protocol/index.js';

/**
 * rsb's error classes, all in one place, each with a stable string `code` that scripts
 * and tests can rely on (docs/errors.md). Codec errors are `ProtocolError` in
 * src/protocol, which must not depend on the rest of rsb. Wrap with `{ cause }`, never swallow.
 */
export const RSB_ERROR_CODE = {
  USAGE: 'ERR_USAGE',
  CONNECT: 'ERR_CONNECT',
  SETUP_REJECTED: 'ERR_SETUP_REJECTED',
  RSOCKET: 'ERR_RSOCKET',
  TIMEOUT: 'ERR_TIMEOUT',
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  STREAM_IDS_EXHAUSTED: 'ERR_STREAM_IDS_EXHAUSTED',
  LISTEN: 'ERR_LISTEN',
  BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  CLUSTER_START: 'ERR_CLUSTER_START',
  CLUSTER_NOT_FOUND: 'ERR_CLUSTER_NOT_FOUND',
  CLUSTER_STATE: 'ERR_CLUSTER_STATE',
  CLUSTER_BUSY: 'ERR_CLUSTER_BUSY',
  NO_BROKER: 'ERR_NO_BROKER',
  TOPOLOGY: 'ERR_TOPOLOGY',
  PROCESS_START: 'ERR_PROCESS_START',
  PROCESS_STOP: 'ERR_PROCESS_STOP',
  RESOLVE: 'ERR_RESOLVE',
  LAB_UNAVAILABLE: 'ERR_LAB_UNAVAILABLE',
  LAB: 'ERR_LAB',
} as const;
export type RsbErrorCode = (typeof RSB_ERROR_CODE)[keyof typeof RSB_ERROR_CODE];

export class RsbError extends Error {
  constructor(
    readonly code: RsbErrorCode,
    message: string,
    /** One sentence telling the user what to try. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A flag, argument or file the user gave is wrong. */
export class UsageError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.USAGE, message, hint, options);
  }
}

/** No TCP connection could be made. */
export class ConnectError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.CONNECT, message, hint, options);
  }
}

/** A server could not listen: the port is taken or the address is not ours. */
export class ListenError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.LISTEN, message, hint, options);
  }
}

/** The peer answered SETUP with a connection-level ERROR. */
export class SetupRejectedError extends RsbError {
  constructor(
    readonly errorCode: number,
    readonly errorMessage: string,
  ) {
    super(RSB_ERROR_CODE.SETUP_REJECTED, `connection refused with ${nameErrorCode(errorCode)}: ${errorMessage}`);
  }
}

/** A request ended with an RSocket ERROR frame. */
export class RSocketRequestError extends RsbError {
  constructor(
    readonly errorCode: number,
    readonly errorMessage: string,
  ) {
    super(RSB_ERROR_CODE.RSOCKET, `${nameErrorCode(errorCode)}: ${errorMessage}`);
  }

  get errorName(): string {
    return nameErrorCode(this.errorCode);
  }
}

export class TimeoutError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.TIMEOUT, message, hint);
  }
}

/** The connection ended while something still waited on it. */
export class ConnectionClosedError extends RsbError {
  constructor(message: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.CONNECTION_CLOSED, message, undefined, options);
  }
}

export class StreamIdsExhaustedError extends RsbError {
  constructor() {
    super(RSB_ERROR_CODE.STREAM_IDS_EXHAUSTED, 'no free stream id: a million consecutive ids are in use');
  }
}

/** An HTTP request body over the gateway's limit. */
export class BodyTooLargeError extends RsbError {
  constructor(readonly limitBytes: number) {
    super(RSB_ERROR_CODE.BODY_TOO_LARGE, `the request body is over the gateway's limit of ${limitBytes} bytes`, 'Send less, or start the gateway with a larger --max-body.');
  }
}

/** A broker of a cluster did not start; the others started with it were stopped. */
export class ClusterStartError extends RsbError {
  constructor(
    message: string,
    hint?: string,
    /** The last lines of the failing broker's log, for the user to read. */
    readonly logTail: string[] = [],
    options?: ErrorOptions,
  ) {
    super(RSB_ERROR_CODE.CLUSTER_START, message, hint, options);
  }
}

/** No state file for the named cluster: it was never started here, or was stopped. */
export class ClusterNotFoundError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.CLUSTER_NOT_FOUND, message, hint);
  }
}

/** A cluster state file that cannot be read, written or understood. */
export class ClusterStateError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.CLUSTER_STATE, message, hint, options);
  }
}

/** Another rsb process is starting or stopping the same cluster. */
export class ClusterBusyError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.CLUSTER_BUSY, message, hint);
  }
}

/** None of the brokers a client was given (or learned) could be connected. */
export class NoBrokerError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.NO_BROKER, message, hint, options);
  }
}

/** A broker name (`dns:NAME:PORT`) did not resolve: no such name, no answer from the resolver, or no A/AAAA record. */
export class ResolveError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.RESOLVE, message, hint, options);
  }
}

/** The host lab (`rsb cluster up --hosts`, partitions) cannot run here: not root, or `ip`, `tc` or dnsmasq is missing. */
export class LabUnavailableError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.LAB_UNAVAILABLE, message, hint);
  }
}

/** A step of the host lab failed: an `ip`, `tc` or dnsmasq command that should have worked did not. */
export class LabError extends RsbError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(RSB_ERROR_CODE.LAB, message, hint, options);
  }
}

/** A broker or mock process that `rsb load` starts for its topology did not come up. */
export class TopologyError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.TOPOLOGY, message, hint);
  }
}

/** How a child process failed to get ready. */
export const PROCESS_START_FAILURE = {
  /** It exited (or was killed) before it said it was ready. */
  EXITED: 'exited',
  /** It could not be spawned at all. */
  SPAWN_FAILED: 'spawn-failed',
  /** It did not say it was ready in time, and was killed. */
  TIMED_OUT: 'timed-out',
  /** The caller gave up (Ctrl-C) while it started, and it was stopped again. */
  ABORTED: 'aborted',
} as const;
export type ProcessStartFailure = (typeof PROCESS_START_FAILURE)[keyof typeof PROCESS_START_FAILURE];

/** What a child that failed reported on its ready channel before it exited (src/process, `announceFailure`). */
export interface ChildFailureReport {
  message: string;
  /** Its rsb error code, if it was an RsbError. */
  code?: string;
  /** The system error under it (`EADDRINUSE`), if any. */
  errno?: string;
}

/**
 * A process rsb started (src/process) did not get ready. `detail` says how, as a clause
 * ("exited with code 1"); `outputTail` holds the last lines it wrote, for the user to read.
 */
export class ProcessStartError extends RsbError {
  constructor(
    readonly failure: ProcessStartFailure,
    readonly detail: string,
    message: string,
    readonly outputTail: string[],
    readonly childReport: ChildFailureReport | undefined,
    options?: ErrorOptions,
  ) {
    super(RSB_ERROR_CODE.PROCESS_START, message, undefined, options);
  }
}

/** A process rsb started outlived SIGKILL (stuck in the kernel). */
export class ProcessStopError extends RsbError {
  constructor(message: string, hint?: string) {
    super(RSB_ERROR_CODE.PROCESS_STOP, message, hint);
  }
}
