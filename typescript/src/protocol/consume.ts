// Consuming (§5.4-5.6): SUBSCRIBE names queues, a prefetch window and a lease; the broker then
// pushes DELIVER while the consumer holds fewer unsettled deliveries than its prefetch. CREDIT
// changes the window (0 pauses delivery: how a worker stops fetching before shutdown).
//   SUBSCRIBE  := u16 queue_count, queue_count x str16 queue, u32 prefetch, u32 lease_ms
//   SUBSCRIBED := u32 prefetch, u32 lease_ms          (the values in effect)
//   CREDIT     := u32 prefetch
//   CREDIT_OK  := u32 prefetch, u32 in_flight
//   DELIVER    := u32 count, count x Delivery         (push, request_id 0)
//   Delivery   := u64 message_id, u32 attempt, u8 priority, str16 queue, i64 created_at_ms,
//                 i64 lease_deadline_ms, str16 type, Headers, blob32 metadata, blob32 payload
import { decodeBody, type BytesLike } from './bytes.js';
import { Opcode, beginFrame, finishFrame } from './frame.js';
import { readHeaders, writeHeaders, type Header, type Headers } from './headers.js';

/** The broker takes at most this many queues in one SUBSCRIBE; the C++ broker answers a longer
 *  list with MALFORMED_FRAME and closes the connection, so the caller should check. */
export const MAX_SUBSCRIBE_QUEUES = 1024;

export interface Subscribe {
  queues: readonly string[];
  /** Most unsettled deliveries held at once; 0: the broker default (10). Default: 0. */
  prefetch?: number;
  /** Lease of each delivery; 0: the broker default (30 000 ms). Default: 0. */
  leaseMs?: number;
}

export interface Subscribed {
  prefetch: number;
  leaseMs: number;
}

export interface CreditOk {
  prefetch: number;
  /** Deliveries the consumer holds now. */
  inFlight: number;
}

/** One delivery. Headers begin with message-type, message-id and dispatched-at. */
export interface Delivery {
  messageId: bigint;
  /** 1 on the first delivery. */
  attempt: number;
  priority: number;
  queue: string;
  createdAtMs: number;
  /** Broker clock: settle (ACK/NACK) or TOUCH before it. */
  leaseDeadlineMs: number;
  type: string;
  headers: Header[];
  /** The producer's bytes, unchanged (empty: none). */
  metadata: Buffer;
  payload: Buffer;
}

/** What encodeDeliver writes (a broker, or a test double of one). Headers are written as given. */
export interface DeliveryInit extends Omit<Delivery, 'headers' | 'metadata' | 'payload'> {
  headers: Headers;
  metadata: BytesLike;
  payload: BytesLike;
}

const MIN_DELIVERY_BYTES = 8 + 4 + 1 + 2 + 8 + 8 + 2 + 2 + 4 + 4;

export function encodeSubscribe(requestId: number, s: Subscribe): Buffer {
  const w = beginFrame(Opcode.SUBSCRIBE, requestId);
  w.u16(s.queues.length);
  for (const q of s.queues) w.str16(q);
  w.u32(s.prefetch ?? 0).u32(s.leaseMs ?? 0);
  return finishFrame(w);
}

export function decodeSubscribe(body: Uint8Array): { queues: string[]; prefetch: number; leaseMs: number } {
  return decodeBody(body, 'SUBSCRIBE', (r) => {
    const n = r.count(2, 2);
    const queues: string[] = [];
    for (let i = 0; i < n; i++) queues.push(r.str16());
    return { queues, prefetch: r.u32(), leaseMs: r.u32() };
  });
}

export function encodeSubscribed(requestId: number, s: Subscribed): Buffer {
  return finishFrame(beginFrame(Opcode.SUBSCRIBED, requestId).u32(s.prefetch).u32(s.leaseMs));
}

export function decodeSubscribed(body: Uint8Array): Subscribed {
  return decodeBody(body, 'SUBSCRIBED', (r) => ({ prefetch: r.u32(), leaseMs: r.u32() }));
}

export function encodeCredit(requestId: number, prefetch: number): Buffer {
  return finishFrame(beginFrame(Opcode.CREDIT, requestId).u32(prefetch));
}

export function decodeCredit(body: Uint8Array): number {
  return decodeBody(body, 'CREDIT', (r) => r.u32());
}

export function encodeCreditOk(requestId: number, c: CreditOk): Buffer {
  return finishFrame(beginFrame(Opcode.CREDIT_OK, requestId).u32(c.prefetch).u32(c.inFlight));
}

export function decodeCreditOk(body: Uint8Array): CreditOk {
  return decodeBody(body, 'CREDIT_OK', (r) => ({ prefetch: r.u32(), inFlight: r.u32() }));
}

/** A DELIVER push (request id 0). */
export function encodeDeliver(deliveries: readonly DeliveryInit[]): Buffer {
  const w = beginFrame(Opcode.DELIVER, 0, 0, 128 * deliveries.length);
  w.u32(deliveries.length);
  for (const d of deliveries) {
    w.u64(d.messageId).u32(d.attempt).u8(d.priority).str16(d.queue);
    w.i64(d.createdAtMs).i64(d.leaseDeadlineMs).str16(d.type);
    writeHeaders(w, d.headers);
    w.blob32(d.metadata).blob32(d.payload);
  }
  return finishFrame(w);
}

export function decodeDeliver(body: Uint8Array): Delivery[] {
  return decodeBody(body, 'DELIVER', (r) => {
    const n = r.count(MIN_DELIVERY_BYTES);
    const out: Delivery[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        messageId: r.u64(),
        attempt: r.u32(),
        priority: r.u8(),
        queue: r.str16(),
        createdAtMs: r.i64Ms(),
        leaseDeadlineMs: r.i64Ms(),
        type: r.str16(),
        headers: readHeaders(r),
        metadata: r.blob32(),
        payload: r.blob32(),
      });
    }
    return out;
  });
}
