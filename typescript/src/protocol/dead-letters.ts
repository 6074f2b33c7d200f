// Dead letters (§5.14): list (filtered, paged, newest first), get one with every failed
// attempt, retry (back to its queue, attempts reset; or a dry run), delete.
//   DeadLetterFilter  := str16 queue, str16 type, str16 error_class, i64 failed_from_ms,
//                        i64 failed_to_ms                 (empty / 0 = any; times inclusive)
//   DeadLetterSummary := u64 message_id, str16 queue, str16 type, u8 priority,
//                        i64 created_at_ms, i64 failed_at_ms, u32 attempts, str16 error,
//                        str16 error_class
//   Target            := u8 by_filter, then u32 count, count x u64 id (0) or DeadLetterFilter (1)
//   FAILED_LIST       := DeadLetterFilter, i64 cursor_failed_at_ms, u64 cursor_id, u32 limit
//   FAILED_LIST_RESULT:= u64 total, u32 count, count x DeadLetterSummary,
//                        i64 next_cursor_failed_at_ms, u64 next_cursor_id
//   FAILED_GET        := u64 message_id
//   FAILED_GET_RESULT := DeadLetterSummary, u16 failure_count, failure_count x (u32 attempt,
//                        i64 failed_at_ms, str16 error, str16 error_class), Headers,
//                        blob32 metadata, blob32 payload, str16 idempotency_key
//   FAILED_RETRY      := Target, u8 dry_run          FAILED_DELETE := Target
//   FAILED_RETRY_RESULT = FAILED_DELETE_RESULT := u32 count, count x u64 message_id,
//                        u32 failed_count, failed_count x (u64 message_id, u16 error_code)
import { decodeBody, malformedIf, type ByteReader, type ByteWriter, type BytesLike } from './bytes.js';
import { Opcode, beginFrame, finishFrame, opcodeName } from './frame.js';
import { readHeaders, writeHeaders, type Header, type Headers } from './headers.js';
import { readIdFailures, readIds, writeIdFailures, writeIds, type IdFailure } from './ids.js';

/** Every field optional on the way out: empty / 0 means "any". */
export interface DeadLetterFilter {
  queue?: string;
  type?: string;
  /** Matches the error class of the last failure. */
  errorClass?: string;
  failedFromMs?: number;
  failedToMs?: number;
}

export type DecodedDeadLetterFilter = Required<DeadLetterFilter>;

export interface DeadLetterSummary {
  messageId: bigint;
  queue: string;
  type: string;
  priority: number;
  createdAtMs: number;
  /** The last failure's time, error and class. */
  failedAtMs: number;
  attempts: number;
  error: string;
  errorClass: string;
}

export interface FailureInfo {
  attempt: number;
  failedAtMs: number;
  error: string;
  errorClass: string;
}

export interface DeadLetterDetail {
  summary: DeadLetterSummary;
  /** Every failed attempt: nacks, expired leases, lost consumers. */
  failures: FailureInfo[];
  headers: Header[];
  metadata: Buffer;
  payload: Buffer;
  idempotencyKey: string;
}

/** What encodeFailedGetResult writes. */
export interface DeadLetterDetailInit extends Omit<DeadLetterDetail, 'headers' | 'metadata' | 'payload'> {
  headers: Headers;
  metadata: BytesLike;
  payload: BytesLike;
}

export interface FailedListRequest {
  filter?: DeadLetterFilter;
  /** The previous page's next cursor; (0, 0) starts from the newest. Default: 0, 0n. */
  cursorFailedAtMs?: number;
  cursorId?: bigint;
  /** 1..1000. */
  limit: number;
}

export interface FailedListResult {
  /** Every match, across all pages. */
  total: bigint;
  items: DeadLetterSummary[];
  /** (0, 0n): this was the last page. */
  nextCursorFailedAtMs: number;
  nextCursorId: bigint;
}

/** Some ids, or everything a filter matches (a filter delete purges; the empty filter matches all). */
export type DeadLetterTarget =
  | { kind: 'ids'; ids: readonly bigint[] }
  | { kind: 'filter'; filter: DeadLetterFilter };

export type DecodedDeadLetterTarget =
  | { kind: 'ids'; ids: bigint[] }
  | { kind: 'filter'; filter: DecodedDeadLetterFilter };

/** Reply of FAILED_RETRY and FAILED_DELETE. */
export interface DeadLetterActionResult {
  /** Acted on (or that would be, on a dry run). */
  messageIds: bigint[];
  /** Ids that are not dead letters come back here with UNKNOWN_MESSAGE. */
  failures: IdFailure[];
}

export type DeadLetterActionResultOpcode = typeof Opcode.FAILED_RETRY_RESULT | typeof Opcode.FAILED_DELETE_RESULT;

const MIN_SUMMARY_BYTES = 8 + 2 + 2 + 1 + 8 + 8 + 4 + 2 + 2;
const MIN_FAILURE_BYTES = 4 + 8 + 2 + 2;

function writeFilter(w: ByteWriter, f: DeadLetterFilter): void {
  w.str16(f.queue ?? '').str16(f.type ?? '').str16(f.errorClass ?? '');
  w.i64(f.failedFromMs ?? 0).i64(f.failedToMs ?? 0);
}

function readFilter(r: ByteReader): DecodedDeadLetterFilter {
  return { queue: r.str16(), type: r.str16(), errorClass: r.str16(), failedFromMs: r.i64Ms(), failedToMs: r.i64Ms() };
}

function writeSummary(w: ByteWriter, s: DeadLetterSummary): void {
  w.u64(s.messageId).str16(s.queue).str16(s.type).u8(s.priority);
  w.i64(s.createdAtMs).i64(s.failedAtMs).u32(s.attempts).str16(s.error).str16(s.errorClass);
}

function readSummary(r: ByteReader): DeadLetterSummary {
  return {
    messageId: r.u64(),
    queue: r.str16(),
    type: r.str16(),
    priority: r.u8(),
    createdAtMs: r.i64Ms(),
    failedAtMs: r.i64Ms(),
    attempts: r.u32(),
    error: r.str16(),
    errorClass: r.str16(),
  };
}

function writeTarget(w: ByteWriter, t: DeadLetterTarget): void {
  if (t.kind === 'filter') {
    w.u8(1);
    writeFilter(w, t.filter);
  } else {
    w.u8(0);
    writeIds(w, t.ids);
  }
}

function readTarget(r: ByteReader, context: string): DecodedDeadLetterTarget {
  const byFilter = r.u8();
  malformedIf(byFilter > 1, `${context}: target is neither ids (0) nor a filter (1): ${byFilter}`);
  return byFilter === 1 ? { kind: 'filter', filter: readFilter(r) } : { kind: 'ids', ids: readIds(r) };
}

export function encodeFailedList(requestId: number, req: FailedListRequest): Buffer {
  const w = beginFrame(Opcode.FAILED_LIST, requestId);
  writeFilter(w, req.filter ?? {});
  w.i64(req.cursorFailedAtMs ?? 0).u64(req.cursorId ?? 0n).u32(req.limit);
  return finishFrame(w);
}

export interface DecodedFailedListRequest {
  filter: DecodedDeadLetterFilter;
  cursorFailedAtMs: number;
  cursorId: bigint;
  limit: number;
}

export function decodeFailedList(body: Uint8Array): DecodedFailedListRequest {
  return decodeBody(body, 'FAILED_LIST', (r) => ({
    filter: readFilter(r),
    cursorFailedAtMs: r.i64Ms(),
    cursorId: r.u64(),
    limit: r.u32(),
  }));
}

export function encodeFailedListResult(requestId: number, res: FailedListResult): Buffer {
  const w = beginFrame(Opcode.FAILED_LIST_RESULT, requestId, 0, 64 * res.items.length);
  w.u64(res.total).u32(res.items.length);
  for (const s of res.items) writeSummary(w, s);
  w.i64(res.nextCursorFailedAtMs).u64(res.nextCursorId);
  return finishFrame(w);
}

export function decodeFailedListResult(body: Uint8Array): FailedListResult {
  return decodeBody(body, 'FAILED_LIST_RESULT', (r) => {
    const total = r.u64();
    const n = r.count(MIN_SUMMARY_BYTES);
    const items: DeadLetterSummary[] = [];
    for (let i = 0; i < n; i++) items.push(readSummary(r));
    return { total, items, nextCursorFailedAtMs: r.i64Ms(), nextCursorId: r.u64() };
  });
}

export function encodeFailedGet(requestId: number, messageId: bigint): Buffer {
  return finishFrame(beginFrame(Opcode.FAILED_GET, requestId).u64(messageId));
}

export function decodeFailedGet(body: Uint8Array): bigint {
  return decodeBody(body, 'FAILED_GET', (r) => r.u64());
}

export function encodeFailedGetResult(requestId: number, d: DeadLetterDetailInit): Buffer {
  const w = beginFrame(Opcode.FAILED_GET_RESULT, requestId, 0, 256);
  writeSummary(w, d.summary);
  w.u16(d.failures.length);
  for (const f of d.failures) w.u32(f.attempt).i64(f.failedAtMs).str16(f.error).str16(f.errorClass);
  writeHeaders(w, d.headers);
  w.blob32(d.metadata).blob32(d.payload).str16(d.idempotencyKey);
  return finishFrame(w);
}

export function decodeFailedGetResult(body: Uint8Array): DeadLetterDetail {
  return decodeBody(body, 'FAILED_GET_RESULT', (r) => {
    const summary = readSummary(r);
    const n = r.count(MIN_FAILURE_BYTES, 2);
    const failures: FailureInfo[] = [];
    for (let i = 0; i < n; i++) {
      failures.push({ attempt: r.u32(), failedAtMs: r.i64Ms(), error: r.str16(), errorClass: r.str16() });
    }
    return {
      summary,
      failures,
      headers: readHeaders(r),
      metadata: r.blob32(),
      payload: r.blob32(),
      idempotencyKey: r.str16(),
    };
  });
}

export function encodeFailedRetry(requestId: number, target: DeadLetterTarget, dryRun = false): Buffer {
  const w = beginFrame(Opcode.FAILED_RETRY, requestId);
  writeTarget(w, target);
  w.u8(dryRun ? 1 : 0);
  return finishFrame(w);
}

export function decodeFailedRetry(body: Uint8Array): { target: DecodedDeadLetterTarget; dryRun: boolean } {
  return decodeBody(body, 'FAILED_RETRY', (r) => ({ target: readTarget(r, 'FAILED_RETRY'), dryRun: r.bool() }));
}

export function encodeFailedDelete(requestId: number, target: DeadLetterTarget): Buffer {
  const w = beginFrame(Opcode.FAILED_DELETE, requestId);
  writeTarget(w, target);
  return finishFrame(w);
}

export function decodeFailedDelete(body: Uint8Array): DecodedDeadLetterTarget {
  return decodeBody(body, 'FAILED_DELETE', (r) => readTarget(r, 'FAILED_DELETE'));
}

export function encodeDeadLetterActionResult(
  opcode: DeadLetterActionResultOpcode,
  requestId: number,
  res: DeadLetterActionResult,
): Buffer {
  if (opcode !== Opcode.FAILED_RETRY_RESULT && opcode !== Opcode.FAILED_DELETE_RESULT) {
    throw new RangeError(`${opcodeName(opcode)} is not a dead-letter action result`);
  }
  const w = beginFrame(opcode, requestId, 0, 8 + 8 * res.messageIds.length + 10 * res.failures.length);
  writeIds(w, res.messageIds);
  writeIdFailures(w, res.failures);
  return finishFrame(w);
}

/** The body of FAILED_RETRY_RESULT or FAILED_DELETE_RESULT. */
export function decodeDeadLetterActionResult(body: Uint8Array): DeadLetterActionResult {
  return decodeBody(body, 'dead-letter action result', (r) => ({
    messageIds: readIds(r),
    failures: readIdFailures(r),
  }));
}

export const decodeFailedRetryResult = decodeDeadLetterActionResult;
export const decodeFailedDeleteResult = decodeDeadLetterActionResult;
