import { BodyTooLargeError, ConnectError, ConnectionClosedError, RSocketRequestError, TimeoutError, UsageError } from '../errors.js';
import { ERROR_CODE, nameErrorCode } from '../protocol/index.js';

/** The JSON body of every gateway error. */
export interface GatewayErrorBody {
  error: {
    status: number;
    /** `REJECTED`, `APPLICATION_ERROR`..., or an rsb code (`ERR_TIMEOUT`, `ERR_BODY_TOO_LARGE`...). */
    code: string;
    message: string;
    hint?: string;
  };
}

/**
 * HTTP status for what went wrong (docs/commands.md, "rsb gateway"): the request never reached a
 * service (REJECTED, no broker) → 503; the service failed → 502; no answer in time → 504;
 * the HTTP request itself is wrong → 400 or 413.
 */
export function describeGatewayError(error: unknown): GatewayErrorBody {
  if (error instanceof BodyTooLargeError) return body(413, error.code, error.message, error.hint);
  if (error instanceof UsageError) return body(400, error.code, error.message, error.hint);
  if (error instanceof TimeoutError) return body(504, error.code, error.message, error.hint);
  if (error instanceof RSocketRequestError) {
    const status = error.errorCode === ERROR_CODE.REJECTED ? 503 : error.errorCode === ERROR_CODE.INVALID ? 400 : 502;
    const hint =
      error.errorCode === ERROR_CODE.REJECTED
        ? 'The request was not processed: no instance, a rate limit or an open circuit. Retrying later is safe.'
        : 'The service failed or left while handling the request; it may or may not have been processed.';
    return body(status, nameErrorCode(error.errorCode), error.errorMessage, hint);
  }
  if (error instanceof ConnectError || error instanceof ConnectionClosedError) return body(503, error.code, error.message, error.hint);
  const message = error instanceof Error ? error.message : String(error);
  return body(500, 'ERR_GATEWAY', message);
}

function body(status: number, code: string, message: string, hint?: string): GatewayErrorBody {
  return { error: { status, code, message, ...(hint ? { hint } : {}) } };
}
