// Lists of message ids, shared by ACK, TOUCH, MESSAGE_STATUS and the dead-letter requests and
// replies:  u32 count, count x u64 message_id  and  u32 count, count x (u64 message_id, u16 code).
import type { ByteReader, ByteWriter } from './bytes.js';

/** A per-id failure (ACK_RESULT, FAILED_RETRY_RESULT, FAILED_DELETE_RESULT). */
export interface IdFailure {
  messageId: bigint;
  code: number;
}

export function writeIds(w: ByteWriter, ids: readonly bigint[]): void {
  w.u32(ids.length);
  for (const id of ids) w.u64(id);
}

export function readIds(r: ByteReader): bigint[] {
  const n = r.count(8);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(r.u64());
  return out;
}

export function writeIdFailures(w: ByteWriter, failures: readonly IdFailure[]): void {
  w.u32(failures.length);
  for (const f of failures) w.u64(f.messageId).u16(f.code);
}

export function readIdFailures(r: ByteReader): IdFailure[] {
  const n = r.count(8 + 2);
  const out: IdFailure[] = [];
  for (let i = 0; i < n; i++) out.push({ messageId: r.u64(), code: r.u16() });
  return out;
}
