/**
 * RSocket ERROR frame codes (Protocol.md, "Error Codes"). Codes below 0x200 belong on
 * stream 0 and end the connection; codes from 0x200 belong on a request stream.
 */
export const ERROR_CODE = {
  INVALID_SETUP: 0x00000001,
  UNSUPPORTED_SETUP: 0x00000002,
  REJECTED_SETUP: 0x00000003,
  REJECTED_RESUME: 0x00000004,
  CONNECTION_ERROR: 0x00000101,
  CONNECTION_CLOSE: 0x00000102,
  APPLICATION_ERROR: 0x00000201,
  REJECTED: 0x00000202,
  CANCELED: 0x00000203,
  INVALID: 0x00000204,
} as const;
export type ErrorCodeName = keyof typeof ERROR_CODE;

export const MIN_APPLICATION_ERROR_CODE = 0x00000301;
export const MAX_APPLICATION_ERROR_CODE = 0xfffffffe;

const ERROR_CODE_NAMES = new Map<number, ErrorCodeName>(
  (Object.entries(ERROR_CODE) as [ErrorCodeName, number][]).map(([name, code]) => [code, name]),
);

/** A readable name for any u32 error code: `REJECTED`, `APPLICATION_DEFINED(0x301)` or `RESERVED(0x7)`. */
export function nameErrorCode(code: number): string {
  const known = ERROR_CODE_NAMES.get(code);
  if (known !== undefined) return known;
  const hex = `0x${code.toString(16)}`;
  return code >= MIN_APPLICATION_ERROR_CODE && code <= MAX_APPLICATION_ERROR_CODE
    ? `APPLICATION_DEFINED(${hex})`
    : `RESERVED(${hex})`;
}

/** Parses `REJECTED`, `0x202`, `514` or `application_error` into a code; undefined when it is none of them. */
export function parseErrorCode(text: string): number | undefined {
  const byName = ERROR_CODE[text.trim().toUpperCase() as ErrorCodeName];
  if (byName !== undefined) return byName;
  const value = Number(text.trim());
  return Number.isInteger(value) && value > 0 && value <= 0xffffffff ? value : undefined;
}

/** Connection-level codes travel on stream 0 only (Protocol.md, "Error Codes", column "Stream ID"). */
export function isConnectionErrorCode(code: number): boolean {
  return code < ERROR_CODE.APPLICATION_ERROR;
}
