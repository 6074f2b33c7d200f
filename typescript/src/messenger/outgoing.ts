// Checks a message and its options before anything is sent, and turns them into a SendRequest.
// The broker is the judge of the rest (queue names, header names, sizes): its refusal of one
// message is a DispatchError for that message only.
import { randomUUID } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { MessageValidationError } from './errors.js';
import type { MessengerSettings } from './settings.js';
import type { SendRequest } from './transport.js';
import type { DispatchOptions, Message } from './types.js';

const MAX_DELAY_MS = 10 * 365 * 24 * 3600 * 1000; // the broker refuses a schedule > 10 years ahead

export function validateMessage(message: unknown): asserts message is Message {
  const bad = (why: string): never => {
    throw new MessageValidationError(why);
  };
  if (!isPlainObject(message)) bad(`a message must be an object with a type and a payload, got ${describe(message)}`);
  const m = message as Record<string, unknown>;
  if (typeof m['type'] !== 'string' || m['type'].length === 0) bad(`message type must be a non-empty string, got ${describe(m['type'])}`);
  if (!isPlainObject(m['payload'])) bad(`${String(m['type'])}: payload must be a JSON object, got ${describe(m['payload'])}`);
  if (m['metadata'] !== undefined && !isPlainObject(m['metadata'])) bad(`${String(m['type'])}: metadata must be an object, got ${describe(m['metadata'])}`);
}

export function buildRequest(message: Message, options: DispatchOptions, settings: MessengerSettings): SendRequest {
  validateMessage(message);
  const bad = (why: string): never => {
    throw new MessageValidationError(`${message.type}: ${why}`);
  };
  if (options.priority !== undefined && (!Number.isInteger(options.priority) || options.priority < 1 || options.priority > 10)) {
    bad(`priority must be an integer from 1 to 10, got ${String(options.priority)}`);
  }
  if (options.delay !== undefined && options.scheduledAt !== undefined) bad('give delay or scheduledAt, not both');
  if (options.delay !== undefined && (!Number.isSafeInteger(options.delay) || options.delay < 0 || options.delay > MAX_DELAY_MS)) {
    bad(`delay must be a whole number of ms from 0 to 10 years, got ${String(options.delay)}`);
  }
  if (options.scheduledAt !== undefined && !(options.scheduledAt instanceof Date && Number.isFinite(options.scheduledAt.getTime()))) {
    bad(`scheduledAt must be a valid Date, got ${describe(options.scheduledAt)}`);
  }
  const key = options.idempotencyKey ?? randomUUID();
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 255) bad('idempotencyKey must be 1..255 bytes');
  if (options.metadata !== undefined && !isPlainObject(options.metadata)) bad('metadata must be an object');
  if (options.headers !== undefined) {
    if (!isPlainObject(options.headers)) bad('headers must be an object of strings');
    for (const [k, v] of Object.entries(options.headers)) if (typeof v !== 'string') bad(`header ${k} must be a string`);
  }
  return {
    message,
    targets: settings.targets(message.type, options),
    delayMs: options.delay,
    scheduledAt: options.scheduledAt,
    idempotencyKey: key,
    headers: options.headers,
    metadata: options.metadata,
    retry: settings.retryFor(message.type),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  // a class instance is fine (defineMessage's messages are one); a Date, Map or Set is no JSON object
  return !(v instanceof Date || v instanceof Map || v instanceof Set);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? 'a Date' : 'an invalid Date';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}
