// What a producer dispatches (the seeds' Message and dispatch options) and what it gets back,
// and their mapping to the wire's DispatchMessage (docs/protocol.md §5.3).
//
// The broker is the judge of every rule (type length, JSON object payload, priority 1..10, queue
// names, header names...): its per-message error rejects that one message. This side only
// refuses what the wire cannot carry at all (a string over 65 535 bytes, priority 300, a
// non-integer delay), with the ProtocolError code the broker would have used, so one bad
// message can never break the encoding of the batch it travels in.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { When, envelopeStatusName, type DispatchMessageInit, type DispatchResult, type EnvelopeStatusName } from './protocol/dispatch.js';
import { ErrorCode, ProtocolError } from './protocol/error-codes.js';
import type { Header, Headers } from './protocol/headers.js';

export interface Message {
  type: string;
  /** Serialised with JSON.stringify; the broker requires a JSON object. */
  payload: unknown;
  /** A JSON object kept with the message (serialised with JSON.stringify). */
  metadata?: Record<string, unknown>;
  /** Custom headers: an object, or [key, value] pairs (order kept, keys may repeat). */
  headers?: Readonly<Record<string, string>> | Headers;
}

export interface DispatchOptions {
  /** Destination queue; default: the broker routes by type. */
  queue?: string;
  /** 1..10, higher first; default: the queue's default (5). */
  priority?: number;
  /** Available after this many ms. */
  delayMs?: number;
  /** Available at this time (a Date or Unix ms). Not with delayMs. */
  scheduledAt?: Date | number;
  /** Dispatches with the same key to the same queue within 24 h enqueue once. Default: a
   *  random UUID (so a resend after a lost connection is always safe). */
  idempotencyKey?: string;
  /** Merged over the message's headers. */
  headers?: Readonly<Record<string, string>> | Headers;
  /** Merged over the message's metadata (its keys win), as the C++ client does. */
  metadata?: Record<string, unknown>;
}

/** One envelope the broker created: a fan-out message has one per destination queue. */
export interface DispatchEnvelope {
  id: bigint;
  queue: string;
  /** True when the idempotency key had been seen: nothing new was enqueued, `id` is the original. */
  duplicate: boolean;
  status: EnvelopeStatusName;
}

/** The broker's confirmation of a dispatch (the message is durable under its fsync policy). */
export interface DispatchReceipt extends DispatchEnvelope {
  /** Every envelope created (several for a fan-out); the first one is repeated above. */
  envelopes: DispatchEnvelope[];
  /** The key the message was sent with (generated when none was given). */
  idempotencyKey: string;
}

/** A message the broker refused. For a fan-out, `accepted` lists the queues that took it. */
export class DispatchError extends ProtocolError {
  readonly accepted: DispatchEnvelope[];

  constructor(code: number, message: string, accepted: DispatchEnvelope[] = []) {
    super(code, message);
    this.accepted = accepted;
  }
}

/** A message in wire form, with its encoded size, ready to join a DISPATCH batch. */
export interface PreparedMessage {
  wire: DispatchMessageInit & { payload: Buffer; metadata: Buffer; idempotencyKey: string };
  /** Bytes it adds to a DISPATCH body. */
  bytes: number;
}

const STR16_MAX = 0xffff;
const NO_BYTES = Buffer.alloc(0);
const NO_HEADERS: Header[] = [];
const HEADER_COUNT_MAX = 0xffff;
// type, payload, metadata, header count, queue, priority, when, when_value, key (fixed parts)
const FIXED_BYTES = 2 + 4 + 4 + 2 + 2 + 1 + 1 + 8 + 2;

/** Builds the wire form; throws ProtocolError for what the wire cannot carry. */
export function prepareMessage(message: Message, options: DispatchOptions = {}, autoIdempotencyKey = true): PreparedMessage {
  const type = str16('type', message.type, ErrorCode.MESSAGE_TOO_LARGE);
  if (type.length === 0) throw new ProtocolError(ErrorCode.EMPTY_TYPE, 'type must not be empty');
  const payload = json('payload', message.payload, ErrorCode.INVALID_PAYLOAD);
  const meta = mergeMetadata(message.metadata, options.metadata);
  const metadata = meta === undefined ? NO_BYTES : json('metadata', meta, ErrorCode.INVALID_METADATA);
  const headers = joinHeaders(headerPairs(message.headers), headerPairs(options.headers));
  if (headers.length > HEADER_COUNT_MAX) throw new ProtocolError(ErrorCode.TOO_MANY_HEADERS, `${headers.length} headers`);
  let headerBytes = 0;
  for (const [k, v] of headers) {
    headerBytes += 4 + str16('header name', k, ErrorCode.INVALID_HEADER).length + str16(`header ${k}`, v, ErrorCode.INVALID_HEADER).length;
  }
  const queue = str16('queue', options.queue ?? '', ErrorCode.INVALID_QUEUE_NAME);
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 0xff) {
    throw new ProtocolError(ErrorCode.PRIORITY_OUT_OF_RANGE, `priority must be 1..10, got ${String(priority)}`);
  }
  const { when, whenValue } = schedule(options);
  const key = options.idempotencyKey ?? (autoIdempotencyKey ? randomUUID() : '');
  const keyBytes = str16('idempotencyKey', key, ErrorCode.MESSAGE_TOO_LARGE);
  return {
    wire: { type, payload, metadata, headers, queue, priority, when, whenValue, idempotencyKey: key },
    bytes: FIXED_BYTES + Buffer.byteLength(type) + payload.length + metadata.length + headerBytes + Buffer.byteLength(queue) + keyBytes.length,
  };
}

/** The receipt of one message from its DISPATCH_RESULT entries; throws DispatchError. */
export function receiptOf(results: readonly DispatchResult[], key: string): DispatchReceipt {
  const only = results.length === 1 ? results[0] : undefined;
  if (only && only.code === 0) {
    // the common case, kept allocation-light: it runs once per message
    const envelope = toEnvelope(only);
    return { id: envelope.id, queue: envelope.queue, duplicate: envelope.duplicate, status: envelope.status, envelopes: [envelope], idempotencyKey: key };
  }
  const accepted = results.filter((r) => r.code === 0).map(toEnvelope);
  const refused = results.find((r) => r.code !== 0);
  if (refused) {
    const text = refused.errorMessage || new ProtocolError(refused.code, '').codeName;
    throw new DispatchError(refused.code, text, accepted);
  }
  const first = accepted[0];
  if (!first) throw new ProtocolError(ErrorCode.INTERNAL, 'the broker returned no result for this message');
  return { id: first.id, queue: first.queue, duplicate: first.duplicate, status: first.status, envelopes: accepted, idempotencyKey: key };
}

function toEnvelope(r: DispatchResult): DispatchEnvelope {
  return { id: r.messageId, queue: r.queue, duplicate: r.duplicate, status: envelopeStatusName(r.status) };
}

function str16(field: string, value: unknown, code: number): string {
  if (typeof value !== 'string') throw new ProtocolError(code, `${field} must be a string, got ${typeof value}`);
  const n = Buffer.byteLength(value);
  if (n > STR16_MAX) throw new ProtocolError(code, `${field} is ${n} bytes, over the wire's ${STR16_MAX}`);
  return value;
}

function json(field: string, value: unknown, code: number): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ProtocolError(code, `${field} cannot be serialised as JSON: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) throw new ProtocolError(code, `${field} cannot be serialised as JSON (${typeof value})`);
  return Buffer.from(text, 'utf8');
}

function mergeMetadata(base: unknown, extra: unknown): unknown {
  if (extra === undefined) return base;
  if (base === undefined) return extra;
  // both must be objects to merge; otherwise send the message's own and let the broker judge it
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return base;
  return { ...(base as Record<string, unknown>), ...(extra as Record<string, unknown>) };
}

function headerPairs(h: Message['headers']): Header[] {
  if (h === undefined) return NO_HEADERS;
  if (Array.isArray(h)) return [...(h as Header[])]; // a copy: a resend must send what was given
  return Object.entries(h as Record<string, string>);
}

function joinHeaders(a: Header[], b: Header[]): Header[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b];
}

function schedule(o: DispatchOptions): { when: When; whenValue: number } {
  const bad = (why: string): ProtocolError => new ProtocolError(ErrorCode.INVALID_SCHEDULE, why);
  if (o.delayMs !== undefined && o.scheduledAt !== undefined) throw bad('give delayMs or scheduledAt, not both');
  if (o.delayMs !== undefined) {
    if (!Number.isSafeInteger(o.delayMs)) throw bad(`delayMs must be an integer, got ${String(o.delayMs)}`);
    return { when: When.DELAY_MS, whenValue: o.delayMs };
  }
  if (o.scheduledAt !== undefined) {
    const at = o.scheduledAt instanceof Date ? o.scheduledAt.getTime() : o.scheduledAt;
    if (!Number.isSafeInteger(at)) throw bad(`scheduledAt is not a valid time: ${String(o.scheduledAt)}`);
    return { when: When.AT_UNIX_MS, whenValue: at };
  }
  return { when: When.NOW, whenValue: 0 };
}
