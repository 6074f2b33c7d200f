// DISPATCH / DISPATCH_RESULT (§5.3). One result per envelope created: a fan-out message has one
// per destination queue, each naming the message's index in the request.
//   DISPATCH        := u32 count, count x DispatchMessage
//   DispatchMessage := str16 type, blob32 payload, blob32 metadata, Headers, str16 queue,
//                      u8 priority, u8 when, i64 when_value, str16 idempotency_key
//   DISPATCH_RESULT := u32 count, count x DispatchResult
//   DispatchResult  := u32 index, u16 error_code, u64 message_id, str16 queue, u8 duplicate,
//                      u8 status, str16 error_message
import { decodeBody, malformedIf, type BytesLike } from './bytes.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';
import { readHeaders, writeHeaders, type Header, type Headers } from './headers.js';

/** When a message becomes available. */
export const When = {
  NOW: 0,
  /** when_value: a delay in ms from the broker's receipt (>= 0). */
  DELAY_MS: 1,
  /** when_value: a Unix time in ms (a past time means now). */
  AT_UNIX_MS: 2,
} as const;
export type When = (typeof When)[keyof typeof When];

/** Priority 0 on the wire means "the queue's default" (5); otherwise 1..10, never clamped. */
export const Priority = { QUEUE_DEFAULT: 0, MIN: 1, MAX: 10, DEFAULT: 5 } as const;

/** Envelope status, as the seeds name it: 0 pending, 1 processing, 2 completed, 3 failed. */
export const EnvelopeStatus = { PENDING: 0, PROCESSING: 1, COMPLETED: 2, FAILED: 3 } as const;
export type EnvelopeStatus = (typeof EnvelopeStatus)[keyof typeof EnvelopeStatus];

const STATUS_NAMES = ['pending', 'processing', 'completed', 'failed'] as const;
export type EnvelopeStatusName = (typeof STATUS_NAMES)[number];

export function envelopeStatusName(status: EnvelopeStatus): EnvelopeStatusName {
  return STATUS_NAMES[status];
}

/** Reads a status byte; anything over 3 is a broken body. */
export function toEnvelopeStatus(raw: number, context: string): EnvelopeStatus {
  malformedIf(raw > EnvelopeStatus.FAILED, `${context}: unknown status ${raw}`);
  return raw as EnvelopeStatus;
}

/** A message as a producer sends it. Omitted fields take their wire default. */
export interface DispatchMessageInit {
  type: string;
  /** A JSON document whose root is an object (a string is sent as UTF-8). */
  payload: BytesLike;
  /** A JSON object, or empty for none. Default: none. */
  metadata?: BytesLike;
  /** Default: none. */
  headers?: Headers;
  /** Empty: the broker routes by type. Default: "". */
  queue?: string;
  /** 0 (queue default) or 1..10. Default: 0. */
  priority?: number;
  /** Default: When.NOW. */
  when?: When;
  /** ms: a delay or a Unix time, per `when`. Default: 0. */
  whenValue?: number;
  /** Empty: none. Default: "". */
  idempotencyKey?: string;
}

/** A decoded DISPATCH message (what a broker, or a test double of one, reads). */
export interface DispatchMessage {
  type: string;
  payload: Buffer;
  metadata: Buffer;
  headers: Header[];
  queue: string;
  priority: number;
  when: When;
  whenValue: number;
  idempotencyKey: string;
}

export interface DispatchResult {
  /** Position of the message in the request: match results by it, not by their order. */
  index: number;
  /** 0 (OK) or the message's error code. */
  code: number;
  /** The new envelope's id (the original one for a duplicate); 0 on error. */
  messageId: bigint;
  queue: string;
  /** True when the idempotency key was seen: nothing new was enqueued. */
  duplicate: boolean;
  /** The envelope's current status (meaningful for a duplicate). */
  status: EnvelopeStatus;
  /** Names the field at fault when code is not 0; else empty. */
  errorMessage: string;
}

// Smallest encodings, to reject a count that cannot fit before looping.
const MIN_MESSAGE_BYTES = 2 + 4 + 4 + 2 + 2 + 1 + 1 + 8 + 2;
const MIN_RESULT_BYTES = 4 + 2 + 8 + 2 + 1 + 1 + 2;

export function encodeDispatch(requestId: number, messages: readonly DispatchMessageInit[]): Buffer {
  const w = beginFrame(Opcode.DISPATCH, requestId, 0, 64 * messages.length);
  w.u32(messages.length);
  for (const m of messages) {
    w.str16(m.type).blob32(m.payload).blob32(m.metadata ?? '');
    writeHeaders(w, m.headers ?? []);
    w.str16(m.queue ?? '').u8(m.priority ?? 0).u8(m.when ?? When.NOW).i64(m.whenValue ?? 0);
    w.str16(m.idempotencyKey ?? '');
  }
  return finishFrame(w);
}

export function decodeDispatch(body: Uint8Array): DispatchMessage[] {
  return decodeBody(body, 'DISPATCH', (r) => {
    const n = r.count(MIN_MESSAGE_BYTES);
    const out: DispatchMessage[] = [];
    for (let i = 0; i < n; i++) {
      const type = r.str16();
      const payload = r.blob32();
      const metadata = r.blob32();
      const headers = readHeaders(r);
      const queue = r.str16();
      const priority = r.u8();
      const when = r.u8();
      malformedIf(when > When.AT_UNIX_MS, `DISPATCH: unknown 'when' kind ${when}`);
      const whenValue = r.i64Ms();
      const idempotencyKey = r.str16();
      out.push({ type, payload, metadata, headers, queue, priority, when: when as When, whenValue, idempotencyKey });
    }
    return out;
  });
}

export function encodeDispatchResult(requestId: number, results: readonly DispatchResult[]): Buffer {
  const w = beginFrame(Opcode.DISPATCH_RESULT, requestId, 0, 32 * results.length);
  w.u32(results.length);
  for (const x of results) {
    w.u32(x.index).u16(x.code).u64(x.messageId).str16(x.queue);
    w.u8(x.duplicate ? 1 : 0).u8(x.status).str16(x.errorMessage);
  }
  return finishFrame(w);
}

export function decodeDispatchResult(body: Uint8Array): DispatchResult[] {
  return decodeBody(body, 'DISPATCH_RESULT', (r) => {
    const n = r.count(MIN_RESULT_BYTES);
    const out: DispatchResult[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        index: r.u32(),
        code: r.u16(),
        messageId: r.u64(),
        queue: r.str16(),
        duplicate: r.bool(),
        status: toEnvelopeStatus(r.u8(), 'DISPATCH_RESULT'),
        errorMessage: r.str16(),
      });
    }
    return out;
  });
}
