// The protocol layer: pure codecs of docs/protocol.md, no sockets. Per frame family, encodeX()
// builds a whole frame (header included) and decodeX() reads a frame's body; decodeServerFrame()
// decodes anything a broker sends. Helpers that only the codecs share are not exported.
//
// Numbers: u64 values (message and schedule ids, counters, session id, nonce) are bigint. i64
// Unix milliseconds and durations are number: every real time fits in a safe integer (Date
// itself stops at 8.64e15), so a decoder refuses a value outside +-(2^53-1) as MALFORMED_FRAME
// and an encoder refuses a non-safe-integer with RangeError. u8/u16/u32 are number.
// Strings (str16) are UTF-8 text; byte fields (blob32: payload, metadata) decode to Buffers
// that share memory with the frame. Encoders throw RangeError for a value the wire cannot carry;
// decoders throw only ProtocolError.
export { ByteReader, ByteWriter, decodeBody, type BytesLike } from './bytes.js';
export * from './consume.js';
export * from './control.js';
export * from './dead-letters.js';
export {
  EnvelopeStatus,
  Priority,
  When,
  decodeDispatch,
  decodeDispatchResult,
  encodeDispatch,
  encodeDispatchResult,
  envelopeStatusName,
  type DispatchMessage,
  type DispatchMessageInit,
  type DispatchResult,
  type EnvelopeStatusName,
} from './dispatch.js';
export {
  ErrorCode,
  ProtocolError,
  closesConnection,
  errorCategory,
  errorCodeName,
  isKnownErrorCode,
  type ErrorCategory,
  type ErrorCodeName,
  type ProtocolErrorOptions,
} from './error-codes.js';
export * from './frame-decoder.js';
export * from './frame.js';
export * from './handshake.js';
export {
  HEADER_DISPATCHED_AT,
  HEADER_MESSAGE_ID,
  HEADER_MESSAGE_TYPE,
  type Header,
  type Headers,
} from './headers.js';
export type { IdFailure } from './ids.js';
export * from './observe.js';
export * from './queue-admin.js';
export * from './schedules.js';
export * from './server-frame.js';
export * from './settle.js';
export * from './stats.js';
