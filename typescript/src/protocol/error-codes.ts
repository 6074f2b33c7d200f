// Every error code of docs/protocol.md §7, and the one error type the codec throws.
// The hundreds digit is the category: a client handles an unknown code by its category.

/** Wire values of the error codes (u16). Enum-like const object: erasable, tree-shakable. */
export const ErrorCode = {
  OK: 0,
  // 1xx protocol: the broker closes the connection after the ERROR frame.
  MALFORMED_FRAME: 100,
  FRAME_TOO_LARGE: 101,
  UNKNOWN_OPCODE: 102,
  UNSUPPORTED_VERSION: 103,
  HELLO_REQUIRED: 104,
  UNEXPECTED_FRAME: 105,
  // 2xx auth: closes.
  AUTH_FAILED: 200,
  // 3xx validation: nothing was changed.
  EMPTY_TYPE: 300,
  INVALID_PAYLOAD: 301,
  INVALID_METADATA: 302,
  PRIORITY_OUT_OF_RANGE: 303,
  INVALID_QUEUE_NAME: 304,
  INVALID_SCHEDULE: 305,
  INVALID_HEADER: 306,
  INVALID_ARGUMENT: 307,
  // 4xx state.
  UNKNOWN_MESSAGE: 400,
  NOT_LEASE_HOLDER: 401,
  QUEUE_NOT_FOUND: 402,
  NOT_SUBSCRIBED: 403,
  UNKNOWN_SCHEDULE: 404,
  BACKUP_RUNNING: 405,
  // 5xx limits.
  MESSAGE_TOO_LARGE: 500,
  BATCH_TOO_LARGE: 501,
  QUEUE_FULL: 502,
  TOO_MANY_HEADERS: 503,
  MEMORY_LIMIT: 504,
  TOO_MANY_CONNECTIONS: 505,
  // 6xx server.
  STORAGE_ERROR: 600,
  SHUTTING_DOWN: 601,
  INTERNAL: 602,
  STORAGE_FULL: 603,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCode = (typeof ErrorCode)[ErrorCodeName];

export type ErrorCategory = 'none' | 'protocol' | 'auth' | 'validation' | 'state' | 'limit' | 'server';

const namesByCode = new Map<number, ErrorCodeName>(
  (Object.entries(ErrorCode) as [ErrorCodeName, ErrorCode][]).map(([name, code]) => [code, name]),
);

/** True for the values this protocol version defines. Decoders do not require it: §7 says
 *  to treat an unknown code by its category, so per-item codes are passed through as numbers. */
export function isKnownErrorCode(code: number): code is ErrorCode {
  return namesByCode.has(code);
}

/** "PRIORITY_OUT_OF_RANGE", or "UNKNOWN_ERROR" for a value this version does not define. */
export function errorCodeName(code: number): ErrorCodeName | 'UNKNOWN_ERROR' {
  return namesByCode.get(code) ?? 'UNKNOWN_ERROR';
}

/** The category of any u16 code, known or not (6xx and above count as server, as in C++). */
export function errorCategory(code: number): ErrorCategory {
  switch (Math.floor(code / 100)) {
    case 0: return 'none';
    case 1: return 'protocol';
    case 2: return 'auth';
    case 3: return 'validation';
    case 4: return 'state';
    case 5: return 'limit';
    default: return 'server';
  }
}

/** True when the broker closes the connection after an ERROR with this code (§7 "closes"). */
export function closesConnection(code: number): boolean {
  const category = errorCategory(code);
  return category === 'protocol' || category === 'auth' || code === ErrorCode.TOO_MANY_CONNECTIONS;
}

export interface ProtocolErrorOptions {
  /** Request id of the frame concerned, when known (0: the connection itself). */
  requestId?: number;
  cause?: unknown;
}

/**
 * A typed protocol error: the codec throws it for a truncated or inconsistent body and for a
 * broken frame header, and a higher layer may use it for an ERROR frame from the broker.
 * `name` stays "ProtocolError" (the Error convention); the code's name is `codeName`.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** Wire value of the code (known or not). */
  readonly code: number;
  /** "MALFORMED_FRAME", ..., or "UNKNOWN_ERROR". */
  readonly codeName: ErrorCodeName | 'UNKNOWN_ERROR';
  readonly category: ErrorCategory;
  readonly requestId: number | undefined;

  constructor(code: number, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.codeName = errorCodeName(code);
    this.category = errorCategory(code);
    this.requestId = options.requestId;
  }
}

/** The MALFORMED_FRAME error every body decoder throws. */
export function malformed(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED_FRAME, message);
}
