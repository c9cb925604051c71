import { RSocketError } from 'rsocket-core';
import { ConnectionClosedError, RSocketRequestError } from '../errors.js';
import { ERROR_CODE, isConnectionErrorCode } from '../protocol/index.js';

/**
 * rsocket-js reports failures as Errors with a numeric `code` when an ERROR frame ended
 * the stream, and as plain Errors ("Closed. Original cause [...]") when the connection
 * went away. Callers of the SDK get rsb's typed errors instead.
 */
export function toCallError(error: unknown, route: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'number') {
    const unsigned = code >>> 0;
    if (isConnectionErrorCode(unsigned)) return new ConnectionClosedError(`${route}: the connection was closed: ${message}`, { cause: error });
    return new RSocketRequestError(unsigned, message);
  }
  return new ConnectionClosedError(`${route}: the connection ended before the answer: ${message}`, { cause: error });
}

/**
 * An error a handler threw, as the ERROR frame rsocket-js should send. rsocket-js picks
 * the code with `instanceof RSocketError`, which its ES5 build makes false for its own
 * errors (docs/sdk.md, rsocket-js defect 4): the prototype is set here as well as in the
 * patch, so that a REJECTED goes out as REJECTED whatever the install did.
 */
export function toWireError(error: unknown): Error {
  if (error instanceof RSocketRequestError) return createRSocketError(error.errorCode, error.errorMessage);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'number' && code >= ERROR_CODE.APPLICATION_ERROR) return createRSocketError(code, message);
  return createRSocketError(ERROR_CODE.APPLICATION_ERROR, message);
}

export function createRSocketError(code: number, message: string): RSocketError {
  const error = new RSocketError(code, message);
  if (Object.getPrototypeOf(error) !== RSocketError.prototype) Object.setPrototypeOf(error, RSocketError.prototype);
  return error;
}
