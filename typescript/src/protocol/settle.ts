// Settling deliveries (§5.7-5.9): ACK (done), NACK (failed: retry, dead-letter, or hand back),
// TOUCH (extend the lease). Each takes a batch and replies per id.
//   ACK          := u32 count, count x u64 message_id         (flags bit 0 CONFIRM)
//   ACK_RESULT   := u32 acked, u32 failed_count, failed_count x (u64 message_id, u16 error_code)
//   NACK         := u32 count, count x (u64 message_id, u8 mode, str16 error, str16 error_class)
//   NACK_RESULT  := u32 count, count x (u64 message_id, u16 error_code, u8 outcome,
//                   i64 available_at_ms)
//   TOUCH        := u32 extend_ms, u32 count, count x u64 message_id
//   TOUCH_RESULT := u32 count, count x (u64 message_id, u16 error_code, i64 lease_deadline_ms)
import { decodeBody, malformedIf } from './bytes.js';
import { FLAG_CONFIRM, Opcode, beginFrame, finishFrame } from './frame.js';
import { readIdFailures, readIds, writeIdFailures, writeIds, type IdFailure } from './ids.js';

export const NackMode = {
  /** Retrying won't help: dead-letter now. */
  FATAL: 0,
  /** Retry after the backoff, or dead-letter when retries are exhausted. */
  RETRY: 1,
  /** Hand back unprocessed: ready again now, the attempt is not counted. */
  RELEASE: 2,
} as const;
export type NackMode = (typeof NackMode)[keyof typeof NackMode];

export const NackOutcome = { RETRY_SCHEDULED: 0, DEAD_LETTERED: 1, RELEASED: 2 } as const;
export type NackOutcome = (typeof NackOutcome)[keyof typeof NackOutcome];

export interface AckResult {
  acked: number;
  failures: IdFailure[];
}

export interface NackItem {
  messageId: bigint;
  mode: NackMode;
  /** Kept with the failed attempt and shown with the dead letter. */
  error: string;
  errorClass: string;
}

export interface NackResultItem {
  messageId: bigint;
  code: number;
  outcome: NackOutcome;
  /** When a retried message is ready again (Unix ms). */
  availableAtMs: number;
}

export interface TouchResultItem {
  messageId: bigint;
  code: number;
  leaseDeadlineMs: number;
}

export interface AckOptions {
  /** Reply only once the acks are durable (flag CONFIRM). Default: false. */
  confirm?: boolean;
}

export function encodeAck(requestId: number, ids: readonly bigint[], options: AckOptions = {}): Buffer {
  const w = beginFrame(Opcode.ACK, requestId, options.confirm ? FLAG_CONFIRM : 0, 4 + 8 * ids.length);
  writeIds(w, ids);
  return finishFrame(w);
}

/** The ids of an ACK body (CONFIRM is in the frame's flags, not the body). */
export function decodeAck(body: Uint8Array): bigint[] {
  return decodeBody(body, 'ACK', readIds);
}

export function encodeAckResult(requestId: number, result: AckResult): Buffer {
  const w = beginFrame(Opcode.ACK_RESULT, requestId).u32(result.acked);
  writeIdFailures(w, result.failures);
  return finishFrame(w);
}

export function decodeAckResult(body: Uint8Array): AckResult {
  return decodeBody(body, 'ACK_RESULT', (r) => ({ acked: r.u32(), failures: readIdFailures(r) }));
}

export function encodeNack(requestId: number, items: readonly NackItem[]): Buffer {
  const w = beginFrame(Opcode.NACK, requestId, 0, 32 * items.length);
  w.u32(items.length);
  for (const it of items) w.u64(it.messageId).u8(it.mode).str16(it.error).str16(it.errorClass);
  return finishFrame(w);
}

export function decodeNack(body: Uint8Array): NackItem[] {
  return decodeBody(body, 'NACK', (r) => {
    const n = r.count(8 + 1 + 2 + 2);
    const out: NackItem[] = [];
    for (let i = 0; i < n; i++) {
      const messageId = r.u64();
      const mode = r.u8();
      malformedIf(mode > NackMode.RELEASE, `NACK: unknown mode ${mode}`);
      out.push({ messageId, mode: mode as NackMode, error: r.str16(), errorClass: r.str16() });
    }
    return out;
  });
}

export function encodeNackResult(requestId: number, items: readonly NackResultItem[]): Buffer {
  const w = beginFrame(Opcode.NACK_RESULT, requestId, 0, 19 * items.length);
  w.u32(items.length);
  for (const it of items) w.u64(it.messageId).u16(it.code).u8(it.outcome).i64(it.availableAtMs);
  return finishFrame(w);
}

export function decodeNackResult(body: Uint8Array): NackResultItem[] {
  return decodeBody(body, 'NACK_RESULT', (r) => {
    const n = r.count(8 + 2 + 1 + 8);
    const out: NackResultItem[] = [];
    for (let i = 0; i < n; i++) {
      const messageId = r.u64();
      const code = r.u16();
      const outcome = r.u8();
      malformedIf(outcome > NackOutcome.RELEASED, `NACK_RESULT: unknown outcome ${outcome}`);
      out.push({ messageId, code, outcome: outcome as NackOutcome, availableAtMs: r.i64Ms() });
    }
    return out;
  });
}

/** `extendMs` 0: the subscription's lease_ms. */
export function encodeTouch(requestId: number, extendMs: number, ids: readonly bigint[]): Buffer {
  const w = beginFrame(Opcode.TOUCH, requestId, 0, 8 + 8 * ids.length).u32(extendMs);
  writeIds(w, ids);
  return finishFrame(w);
}

export function decodeTouch(body: Uint8Array): { extendMs: number; ids: bigint[] } {
  return decodeBody(body, 'TOUCH', (r) => ({ extendMs: r.u32(), ids: readIds(r) }));
}

export function encodeTouchResult(requestId: number, items: readonly TouchResultItem[]): Buffer {
  const w = beginFrame(Opcode.TOUCH_RESULT, requestId, 0, 18 * items.length);
  w.u32(items.length);
  for (const it of items) w.u64(it.messageId).u16(it.code).i64(it.leaseDeadlineMs);
  return finishFrame(w);
}

export function decodeTouchResult(body: Uint8Array): TouchResultItem[] {
  return decodeBody(body, 'TOUCH_RESULT', (r) => {
    const n = r.count(8 + 2 + 8);
    const out: TouchResultItem[] = [];
    for (let i = 0; i < n; i++) out.push({ messageId: r.u64(), code: r.u16(), leaseDeadlineMs: r.i64Ms() });
    return out;
  });
}
