// Framing (docs/protocol.md §2) and opcodes (§4). Every frame is a 12-byte little-endian header
// followed by the body:
//   offset 0 u32 body_length (header not counted) | 4 u8 opcode | 5 u8 flags
//   6 u16 reserved (must be 0) | 8 u32 request_id (0 on server pushes)
import { Buffer } from 'node:buffer';
import { ByteWriter } from './bytes.js';

export const FRAME_HEADER_BYTES = 12;
/** Default body limit until WELCOME announces the broker's own: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** A broker never announces more than this: 64 MiB. */
export const HARD_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** The largest HELLO body a broker accepts before authentication: a longer one (a long token,
 *  say) is FRAME_TOO_LARGE and closes the connection (C++ FrameDecoder::before_hello). */
export const MAX_HELLO_BODY_BYTES = 4096;

/** ACK flag bit 0: reply only once the acks are durable (§5.7). */
export const FLAG_CONFIRM = 0x01;
/** A reply's opcode is its request's with this bit set. */
export const REPLY_BIT = 0x80;

/** Every opcode of §4 (enum-like const object). */
export const Opcode = {
  // client -> server requests (below 0x60)
  HELLO: 0x01,
  PING: 0x02,
  DISPATCH: 0x10,
  SUBSCRIBE: 0x20,
  CREDIT: 0x21,
  ACK: 0x22,
  NACK: 0x23,
  TOUCH: 0x24,
  QUEUE_STATS: 0x30,
  QUEUE_PURGE: 0x31,
  MESSAGE_STATUS: 0x32,
  OVERVIEW: 0x33,
  HEALTH: 0x34,
  METRICS: 0x35,
  BACKUP: 0x36,
  FAILED_LIST: 0x40,
  FAILED_GET: 0x41,
  FAILED_RETRY: 0x42,
  FAILED_DELETE: 0x43,
  SCHEDULE_CREATE: 0x50,
  SCHEDULE_LIST: 0x51,
  SCHEDULE_GET: 0x52,
  SCHEDULE_UPDATE: 0x53,
  // server -> client replies (request | 0x80)
  WELCOME: 0x81,
  PONG: 0x82,
  DISPATCH_RESULT: 0x90,
  SUBSCRIBED: 0xa0,
  CREDIT_OK: 0xa1,
  ACK_RESULT: 0xa2,
  NACK_RESULT: 0xa3,
  TOUCH_RESULT: 0xa4,
  QUEUE_STATS_RESULT: 0xb0,
  QUEUE_PURGE_RESULT: 0xb1,
  MESSAGE_STATUS_RESULT: 0xb2,
  OVERVIEW_RESULT: 0xb3,
  HEALTH_RESULT: 0xb4,
  METRICS_RESULT: 0xb5,
  BACKUP_RESULT: 0xb6,
  FAILED_LIST_RESULT: 0xc0,
  FAILED_GET_RESULT: 0xc1,
  FAILED_RETRY_RESULT: 0xc2,
  FAILED_DELETE_RESULT: 0xc3,
  SCHEDULE_CREATE_RESULT: 0xd0,
  SCHEDULE_LIST_RESULT: 0xd1,
  SCHEDULE_GET_RESULT: 0xd2,
  SCHEDULE_UPDATE_RESULT: 0xd3,
  // server -> client pushes (0x60..0x7F)
  DELIVER: 0x60,
  ERROR: 0x7e,
  GOAWAY: 0x7f,
} as const;

export type OpcodeName = keyof typeof Opcode;
export type Opcode = (typeof Opcode)[OpcodeName];

const namesByOpcode = new Map<number, OpcodeName>(
  (Object.entries(Opcode) as [OpcodeName, Opcode][]).map(([name, op]) => [op, name]),
);

/** True for a value §4 defines; any other is UNKNOWN_OPCODE. */
export function isOpcode(raw: number): raw is Opcode {
  return namesByOpcode.has(raw);
}

/** "DISPATCH_RESULT", or "UNKNOWN(0x..)" for an undefined value (for logs). */
export function opcodeName(raw: number): string {
  return namesByOpcode.get(raw) ?? `UNKNOWN(0x${raw.toString(16).padStart(2, '0')})`;
}

/** Requests are below 0x60. */
export function isRequestOpcode(op: number): boolean {
  return isOpcode(op) && op < 0x60;
}

/** Replies have the high bit set. */
export function isReplyOpcode(op: number): boolean {
  return isOpcode(op) && (op & REPLY_BIT) !== 0;
}

/** Pushes (DELIVER, ERROR, GOAWAY) are 0x60..0x7F. */
export function isPushOpcode(op: number): boolean {
  return isOpcode(op) && op >= 0x60 && op < REPLY_BIT;
}

/** The reply opcode of a request (DISPATCH -> DISPATCH_RESULT). */
export function replyOf(request: Opcode): Opcode {
  const reply = request | REPLY_BIT;
  if (!isRequestOpcode(request) || !isOpcode(reply)) {
    throw new RangeError(`${opcodeName(request)} is not a request opcode`);
  }
  return reply;
}

/** One decoded frame. `body` may share memory with the bytes the decoder was fed. */
export interface Frame {
  opcode: Opcode;
  flags: number;
  requestId: number;
  body: Buffer;
}

/**
 * Starts a frame: the header with a zero length, so the body can be written straight after it.
 * finishFrame() patches the length. The encoders use the pair to build a frame with no copy.
 */
export function beginFrame(opcode: Opcode, requestId: number, flags = 0, capacity = 64): ByteWriter {
  const w = new ByteWriter(FRAME_HEADER_BYTES + capacity);
  w.u32(0).u8(opcode).u8(flags).u16(0).u32(requestId);
  return w;
}

export function finishFrame(w: ByteWriter): Buffer {
  w.patchU32(0, w.length - FRAME_HEADER_BYTES);
  return w.finish();
}

/** A whole frame from an already encoded body. */
export function encodeFrame(opcode: Opcode, requestId: number, body: Uint8Array = Buffer.alloc(0), flags = 0): Buffer {
  return finishFrame(beginFrame(opcode, requestId, flags, body.length).raw(body));
}
