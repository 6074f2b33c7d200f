// The seeds' SyncTransport: no broker, the handler runs inline during dispatch() (through the
// registry's middleware), with the message type's retry policy applied between attempts. For
// tests and development.
//
//   const transport = new SyncTransport({ registry, sleep: async () => {} }); // skip the delays
//   const messenger = new Messenger({ transport, retry: { default: { maxRetries: 2 } } });
//   await messenger.dispatch({ type: 'EmailMessage', payload: {...} }); // handled when it resolves
//
// dispatch() resolves with status 'completed' once a handler attempt succeeded, and rejects with
// the last error once the failure is final (not retryable, or retries exhausted); the message is
// then in `deadLetters`. Payloads make a JSON round trip, as through the broker. Delays and
// schedules are not waited for (the message runs at once); an idempotency key seen before on the
// same queue returns the first result with `duplicate` and runs nothing.
import { setTimeout as sleepMs } from 'node:timers/promises';
import { MessageValidationError } from './errors.js';
import { createHandlerContext } from './handler-context.js';
import { classifyError } from './handler-error.js';
import type { HandlerRegistry } from './handler-registry.js';
import { childLogger, consoleLogger, type Logger } from './logger.js';
import type { Target } from './settings.js';
import type { SendRequest, Transport } from './transport.js';
import type { DispatchedEnvelope, DispatchOutcome, Message, MessageEnvelope } from './types.js';

export interface SyncTransportOptions {
  registry: HandlerRegistry;
  /** Waits between attempts. Default: real timers. Tests pass `async () => {}` to skip them, or
   *  record the delays asked for. */
  sleep?: (ms: number) => Promise<void>;
  /** Default: console. */
  logger?: Logger;
  /** The clock for createdAt and failedAt. Default: Date.now. */
  now?: () => number;
}

export interface SyncDeadLetter {
  envelope: MessageEnvelope;
  error: unknown;
  errorClass: string;
  /** Attempts made. */
  attempts: number;
  failedAt: Date;
}

const NEVER = new AbortController().signal;
const FAR_FUTURE = new Date(8.64e15);

export class SyncTransport implements Transport {
  readonly name = 'sync';
  readonly registry: HandlerRegistry;
  /** Envelopes whose handler succeeded, in order (the attempt that succeeded). */
  readonly handled: MessageEnvelope[] = [];
  readonly deadLetters: SyncDeadLetter[] = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly keys = new Map<string, DispatchedEnvelope>();
  private nextId = 0n;

  constructor(options: SyncTransportOptions) {
    this.registry = options.registry;
    this.sleep = options.sleep ?? ((ms) => sleepMs(ms).then(() => undefined));
    this.logger = options.logger ?? consoleLogger;
    this.now = options.now ?? Date.now;
  }

  async send(r: SendRequest): Promise<DispatchOutcome> {
    const envelopes: DispatchedEnvelope[] = [];
    for (const target of r.targets) envelopes.push(await this.deliver(r, target)); // one copy per queue, in turn
    const first = envelopes[0] as DispatchedEnvelope;
    return { ...first, type: r.message.type, idempotencyKey: r.idempotencyKey, envelopes };
  }

  async close(): Promise<void> {}

  private async deliver(r: SendRequest, target: Target): Promise<DispatchedEnvelope> {
    const queue = target.queue === '' ? 'default' : target.queue;
    const dedupKey = `${queue}\u0000${r.idempotencyKey}`;
    const seen = this.keys.get(dedupKey);
    if (seen) return { ...seen, duplicate: true };

    const id = (++this.nextId).toString();
    const createdAt = new Date(this.now());
    const message = roundTrip(r.message, r.metadata);
    const headers = { 'message-type': message.type, 'message-id': id, 'dispatched-at': createdAt.toISOString(), ...r.headers };
    const record: DispatchedEnvelope = { messageId: id, queue, duplicate: false, status: 'processing' };
    this.keys.set(dedupKey, record);

    for (let attempt = 1; ; attempt++) {
      const envelope: MessageEnvelope = {
        id,
        type: message.type,
        queue,
        priority: target.priority ?? 5,
        attempt,
        headers,
        createdAt,
        leaseDeadline: FAR_FUTURE,
        metadata: message.metadata,
        message,
      };
      const context = createHandlerContext({
        envelope,
        logger: childLogger(this.logger, { messageId: id, type: message.type, attempt }),
        signal: NEVER,
        stopping: () => false,
        touch: () => Promise.resolve(),
      });
      try {
        await this.registry.execute(message, envelope, context);
        this.handled.push(envelope);
        record.status = 'completed';
        return { ...record };
      } catch (err) {
        const c = classifyError(err);
        if (c.retryable && r.retry.retries(attempt)) {
          await this.sleep(r.retry.delayFor(attempt));
          continue;
        }
        record.status = 'failed';
        this.deadLetters.push({ envelope, error: err, errorClass: c.errorClass, attempts: attempt, failedAt: new Date(this.now()) });
        throw err;
      }
    }
  }
}

/** The message as a worker would see it after the broker: JSON in, JSON out, metadata merged. */
function roundTrip(m: Message, extraMetadata: Record<string, unknown> | undefined): Message {
  try {
    const payload = JSON.parse(JSON.stringify(m.payload)) as Record<string, unknown>;
    const meta = m.metadata === undefined && extraMetadata === undefined ? undefined : { ...m.metadata, ...extraMetadata };
    const out: Message = { type: m.type, payload };
    if (meta !== undefined) out.metadata = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
    return out;
  } catch (err) {
    throw new MessageValidationError(`${m.type}: payload or metadata cannot be serialised as JSON: ${(err as Error).message}`, { cause: err });
  }
}
