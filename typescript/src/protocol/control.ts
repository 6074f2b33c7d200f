// Connection control (§5.2, §5.16, §5.17).
//   PING   := u64 nonce                  PONG := u64 nonce, i64 server_time_ms
//   ERROR  := u16 error_code, str16 message   (request_id 0: about the whole connection)
//   GOAWAY := u16 error_code, str16 reason    (push; the broker closes after it)
import { Buffer } from 'node:buffer';
import { decodeBody, type ByteReader } from './bytes.js';
import { ErrorCode } from './error-codes.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';

export interface Pong {
  nonce: bigint;
  /** The broker's clock, Unix ms: lets a client measure skew before sending scheduled times. */
  serverTimeMs: number;
}

/** An ERROR frame. `code` is any u16: an unknown one is handled by its category. */
export interface ErrorFrame {
  code: number;
  message: string;
}

export interface Goaway {
  /** SHUTTING_DOWN (601) when the broker stops. */
  code: number;
  reason: string;
}

export function encodePing(requestId: number, nonce: bigint): Buffer {
  return finishFrame(beginFrame(Opcode.PING, requestId).u64(nonce));
}

export function decodePing(body: Uint8Array): bigint {
  return decodeBody(body, 'PING', (r) => r.u64());
}

export function encodePong(requestId: number, pong: Pong): Buffer {
  return finishFrame(beginFrame(Opcode.PONG, requestId).u64(pong.nonce).i64(pong.serverTimeMs));
}

export function decodePong(body: Uint8Array): Pong {
  return decodeBody(body, 'PONG', (r) => ({ nonce: r.u64(), serverTimeMs: r.i64Ms() }));
}

const STR16_MAX = 0xffff;

function encodeCodeText(op: Opcode, requestId: number, code: number, text: string): Buffer {
  // the text is for people: cut an over-long one rather than fail (as the C++ encoder does)
  const bytes = Buffer.from(text, 'utf8');
  return finishFrame(beginFrame(op, requestId).u16(code).str16(bytes.subarray(0, STR16_MAX)));
}

function readCodeText(r: ByteReader): { code: number; text: string } {
  return { code: r.u16(), text: r.str16() };
}

export function encodeError(requestId: number, code: number, message: string): Buffer {
  return encodeCodeText(Opcode.ERROR, requestId, code, message);
}

export function decodeError(body: Uint8Array): ErrorFrame {
  const { code, text } = decodeBody(body, 'ERROR', readCodeText);
  return { code, message: text };
}

/** GOAWAY is a push: its request id is always 0. */
export function encodeGoaway(code: number = ErrorCode.SHUTTING_DOWN, reason = ''): Buffer {
  return encodeCodeText(Opcode.GOAWAY, 0, code, reason);
}

export function decodeGoaway(body: Uint8Array): Goaway {
  const { code, text } = decodeBody(body, 'GOAWAY', readCodeText);
  return { code, reason: text };
}
