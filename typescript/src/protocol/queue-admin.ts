// QUEUE_PURGE and MESSAGE_STATUS (§5.11, §5.12).
//   QUEUE_PURGE           := str16 queue
//   QUEUE_PURGE_RESULT    := u64 removed      (ready and delayed messages removed)
//   MESSAGE_STATUS        := u32 count, count x u64 message_id
//   MESSAGE_STATUS_RESULT := u32 count, count x (u64 message_id, u16 error_code, u8 status,
//                            str16 queue, u32 attempts, i64 at_ms)
import { decodeBody } from './bytes.js';
import { toEnvelopeStatus, type EnvelopeStatus } from './dispatch.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';
import { readIds, writeIds } from './ids.js';

export interface MessageStatusItem {
  messageId: bigint;
  /** UNKNOWN_MESSAGE for an id the broker no longer knows (or never did). */
  code: number;
  status: EnvelopeStatus;
  queue: string;
  attempts: number;
  /** When it was dispatched (pending, processing), completed, or failed: Unix ms. */
  atMs: number;
}

export function encodeQueuePurge(requestId: number, queue: string): Buffer {
  return finishFrame(beginFrame(Opcode.QUEUE_PURGE, requestId).str16(queue));
}

export function decodeQueuePurge(body: Uint8Array): string {
  return decodeBody(body, 'QUEUE_PURGE', (r) => r.str16());
}

export function encodeQueuePurgeResult(requestId: number, removed: bigint): Buffer {
  return finishFrame(beginFrame(Opcode.QUEUE_PURGE_RESULT, requestId).u64(removed));
}

export function decodeQueuePurgeResult(body: Uint8Array): bigint {
  return decodeBody(body, 'QUEUE_PURGE_RESULT', (r) => r.u64());
}

export function encodeMessageStatus(requestId: number, ids: readonly bigint[]): Buffer {
  const w = beginFrame(Opcode.MESSAGE_STATUS, requestId, 0, 4 + 8 * ids.length);
  writeIds(w, ids);
  return finishFrame(w);
}

export function decodeMessageStatus(body: Uint8Array): bigint[] {
  return decodeBody(body, 'MESSAGE_STATUS', readIds);
}

export function encodeMessageStatusResult(requestId: number, items: readonly MessageStatusItem[]): Buffer {
  const w = beginFrame(Opcode.MESSAGE_STATUS_RESULT, requestId, 0, 40 * items.length);
  w.u32(items.length);
  for (const it of items) {
    w.u64(it.messageId).u16(it.code).u8(it.status).str16(it.queue).u32(it.attempts).i64(it.atMs);
  }
  return finishFrame(w);
}

export function decodeMessageStatusResult(body: Uint8Array): MessageStatusItem[] {
  return decodeBody(body, 'MESSAGE_STATUS_RESULT', (r) => {
    const n = r.count(8 + 2 + 1 + 2 + 4 + 8);
    const out: MessageStatusItem[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        messageId: r.u64(),
        code: r.u16(),
        status: toEnvelopeStatus(r.u8(), 'MESSAGE_STATUS_RESULT'),
        queue: r.str16(),
        attempts: r.u32(),
        atMs: r.i64Ms(),
      });
    }
    return out;
  });
}
