// A scripted stand-in for the SymphonyClient a Worker (or a Messenger) uses: it records every
// call in order and answers like the broker would, so the worker's logic can be tested without
// sockets or timing of a real broker. deliver() pushes a delivery to the worker.
import {
  DEFAULT_LIMITS,
  NackMode,
  NackOutcome,
  type AckResult,
  type CreditOk,
  type DispatchOptions as ClientDispatchOptions,
  type ClientMessage,
  type DispatchReceipt,
  type NackModeName,
  type NackResultItem,
  type ReceivedDelivery,
  type Subscribed,
  type TouchResultItem,
  type Welcome,
  type WorkerClient,
} from '../../src/index.js';

export type Call =
  | { op: 'subscribe'; queues: string[]; prefetch: number; leaseMs: number }
  | { op: 'credit'; prefetch: number }
  | { op: 'ack'; id: bigint }
  | { op: 'nack'; id: bigint; mode: NackModeName; error: string; errorClass: string }
  | { op: 'touch'; id: bigint; extendMs: number }
  | { op: 'close' };

const MODE_NAMES: Record<number, NackModeName> = { [NackMode.FATAL]: 'fatal', [NackMode.RETRY]: 'retry', [NackMode.RELEASE]: 'release' };

export class FakeWorkerClient implements WorkerClient {
  readonly calls: Call[] = [];
  welcome: Welcome | undefined = { version: 1, serverName: 'fake', sessionId: 1n, limits: DEFAULT_LIMITS };
  /** Ids whose ack, nack or touch the "broker" refuses (NOT_LEASE_HOLDER). */
  readonly refused = new Set<bigint>();
  /** A retry of attempt > maxRetries dead-letters, as the broker's policy would. */
  maxRetries = 3;
  leaseMs = 30_000;
  private listener: ((d: ReceivedDelivery) => void) | undefined;
  private nextId = 1n;

  async subscribe(queues: string | readonly string[], prefetch = 0, leaseMs = 0): Promise<Subscribed> {
    this.calls.push({ op: 'subscribe', queues: typeof queues === 'string' ? [queues] : [...queues], prefetch, leaseMs });
    if (leaseMs > 0) this.leaseMs = leaseMs;
    return { prefetch: prefetch || 10, leaseMs: this.leaseMs };
  }

  onDelivery(listener: (d: ReceivedDelivery) => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  async credit(prefetch: number): Promise<CreditOk> {
    this.calls.push({ op: 'credit', prefetch });
    return { prefetch, inFlight: 0 };
  }

  async ack(ids: bigint | readonly bigint[]): Promise<AckResult> {
    const list = typeof ids === 'bigint' ? [ids] : [...ids];
    for (const id of list) this.calls.push({ op: 'ack', id });
    const failures = list.filter((id) => this.refused.has(id)).map((messageId) => ({ messageId, code: 403 }));
    return { acked: list.length - failures.length, failures };
  }

  private attempts = new Map<bigint, number>();

  async nack(id: bigint, mode: number | NackModeName, error = '', errorClass = ''): Promise<NackResultItem> {
    const name = typeof mode === 'string' ? mode : (MODE_NAMES[mode] as NackModeName);
    this.calls.push({ op: 'nack', id, mode: name, error, errorClass });
    if (this.refused.has(id)) return { messageId: id, code: 403, outcome: NackOutcome.DEAD_LETTERED, availableAtMs: 0 };
    if (name === 'release') return { messageId: id, code: 0, outcome: NackOutcome.RELEASED, availableAtMs: Date.now() };
    const attempt = this.attempts.get(id) ?? 1;
    if (name === 'retry' && attempt <= this.maxRetries) return { messageId: id, code: 0, outcome: NackOutcome.RETRY_SCHEDULED, availableAtMs: Date.now() + 1000 };
    return { messageId: id, code: 0, outcome: NackOutcome.DEAD_LETTERED, availableAtMs: 0 };
  }

  async touch(id: bigint, extendMs = 0): Promise<TouchResultItem> {
    this.calls.push({ op: 'touch', id, extendMs });
    if (this.refused.has(id)) return { messageId: id, code: 403, leaseDeadlineMs: 0 };
    return { messageId: id, code: 0, leaseDeadlineMs: Date.now() + (extendMs || this.leaseMs) };
  }

  async close(): Promise<void> {
    this.calls.push({ op: 'close' });
  }

  /** Pushes a delivery; returns its id. */
  deliver(d: Partial<ReceivedDelivery> & { type: string; payload?: unknown }): bigint {
    const id = d.id ?? this.nextId++;
    this.attempts.set(id, d.attempt ?? 1);
    const payload = d.payload ?? {};
    const delivery: ReceivedDelivery = {
      id,
      attempt: 1,
      priority: 5,
      queue: 'default',
      headers: { 'message-type': d.type, 'message-id': String(id), 'dispatched-at': new Date().toISOString() },
      headerList: [],
      payloadText: JSON.stringify(payload),
      metadata: undefined,
      createdAt: new Date(),
      leaseDeadline: new Date(Date.now() + this.leaseMs),
      sessionId: 1n,
      connectionId: 1,
      ...d,
      payload,
    };
    if (!this.listener) throw new Error('nobody listens for deliveries');
    this.listener(delivery);
    return id;
  }

  of<O extends Call['op']>(op: O): Array<Extract<Call, { op: O }>> {
    return this.calls.filter((c): c is Extract<Call, { op: O }> => c.op === op);
  }
}

/** A dispatch-only client for Messenger tests: records what would be sent, answers like a broker
 *  (ids from 100, `queue` '' -> 'default'); `refuse` makes a message fail like a broker refusal. */
export class FakeDispatchClient {
  readonly sent: Array<{ message: ClientMessage; options: ClientDispatchOptions }> = [];
  refuse: ((message: ClientMessage, options: ClientDispatchOptions) => Error | undefined) | undefined;
  private nextId = 100n;
  closed = false;

  async dispatch(message: ClientMessage, options: ClientDispatchOptions = {}): Promise<DispatchReceipt> {
    const err = this.refuse?.(message, options);
    if (err) throw err;
    this.sent.push({ message, options });
    const e = { id: this.nextId++, queue: options.queue ?? 'default', duplicate: false, status: 'pending' as const };
    return { ...e, envelopes: [e], idempotencyKey: options.idempotencyKey ?? '' };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 2 ms until it holds; fails after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}
