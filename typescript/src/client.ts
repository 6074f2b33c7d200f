// SymphonyClient: the application's handle on a broker. It owns one connection at a time
// (Connector reconnects with backoff after a loss or a GOAWAY), coalesces dispatches into
// batches (DispatchBatcher), and turns deliveries into an async iterator or callbacks.
//
//   const client = await SymphonyClient.connect();            // SYMPHONY_URL, SYMPHONY_TOKEN
//   const r = await client.dispatch({ type: 'Email', payload: { to: 'a@b.c' } }, { priority: 7 });
//   await client.subscribe(['default'], 10);
//   for await (const d of client.deliveries()) { ...; await client.ack(d.id); }
//
// Only dispatches are resent after a lost connection (their idempotency keys make it safe);
// any other request in flight then fails with a TransportError.
import { resolveConnectionConfig, type ConnectionConfig, type Env, type ResolveOptions } from './config.js';
import type { Connection, ConnectionSettings } from './connection.js';
import { Connector, type ConnectorCounters } from './connector.js';
import { DeliveryQueue } from './delivery-queue.js';
import { toReceivedDelivery, type ReceivedDelivery } from './delivery.js';
import { DispatchBatcher } from './dispatch-batcher.js';
import { parseDocument, type HealthReport, type Overview } from './documents.js';
import { ConfigError, TransportError } from './errors.js';
import { prepareMessage, type DispatchOptions, type DispatchReceipt, type Message } from './message.js';
import { encodeCredit, encodeSubscribe, type CreditOk, type Subscribed } from './protocol/consume.js';
import { encodePing, type Goaway, type Pong } from './protocol/control.js';
import {
  encodeFailedDelete,
  encodeFailedGet,
  encodeFailedList,
  encodeFailedRetry,
  type DeadLetterActionResult,
  type DeadLetterDetail,
  type DeadLetterTarget,
  type FailedListRequest,
  type FailedListResult,
} from './protocol/dead-letters.js';
import { ErrorCode, ProtocolError } from './protocol/error-codes.js';
import { Opcode } from './protocol/frame.js';
import type { ServerLimits, Welcome } from './protocol/handshake.js';
import { encodeHealth, encodeMetrics, encodeOverview } from './protocol/observe.js';
import { encodeMessageStatus, encodeQueuePurge, type MessageStatusItem } from './protocol/queue-admin.js';
import type { ServerFrameValues, ServerOpcode } from './protocol/server-frame.js';
import {
  NackMode,
  encodeAck,
  encodeNack,
  encodeTouch,
  type AckOptions,
  type AckResult,
  type NackResultItem,
  type TouchResultItem,
} from './protocol/settle.js';
import { encodeQueueStats, type QueueStats } from './protocol/stats.js';
import { SubscriptionState } from './subscription.js';

export interface ClientOptions extends ResolveOptions {
  /** Where SYMPHONY_* settings are read from. Default: process.env. */
  env?: Env;
  /** Connection attempts after a failed one, before waiting calls fail. Default: 5. */
  reconnectAttempts?: number;
  /** Wait before the first retry, doubled for each later one. Default: 100 ms. */
  reconnectDelayMs?: number;
  /** Longest wait between attempts. Default: 5 000 ms. */
  reconnectMaxDelayMs?: number;
  /** DISPATCH frames awaiting their reply at once. Default: 8. */
  maxDispatchFramesInFlight?: number;
  /** Give every message without an idempotency key a random one. Default: true. */
  autoIdempotencyKeys?: boolean;
  /** Unsent bytes a connection holds before frames wait for the socket to drain. Default: 1 MiB. */
  writeHighWaterMark?: number;
  /** Connection events, for logs. Must not throw. */
  onEvent?: (event: ClientEvent) => void;
}

export type ClientEvent =
  | { type: 'connected'; reconnect: boolean; welcome: Welcome }
  | { type: 'lost'; reason: Error }
  | { type: 'goaway'; goaway: Goaway }
  | { type: 'error'; error: ProtocolError };

export interface ClientCounters extends ConnectorCounters {
  /** DISPATCH frames sent (each carries up to max_batch messages). */
  dispatchFrames: number;
  /** Messages in those frames, resends included. */
  dispatchedMessages: number;
  /** Messages sent again after a lost connection. */
  resentMessages: number;
  /** Deliveries received. */
  deliveries: number;
}

/** One entry of dispatchBatch(): a message, or a message with its options. */
export type DispatchEntry = Message | { message: Message; options?: DispatchOptions };

export type NackModeName = 'fatal' | 'retry' | 'release';

export interface CloseOptions {
  /** Longest wait for dispatches and replies still due. Default: the request timeout. */
  timeoutMs?: number;
}

const NACK_MODES: Record<NackModeName, NackMode> = { fatal: NackMode.FATAL, retry: NackMode.RETRY, release: NackMode.RELEASE };

export class SymphonyClient {
  readonly config: ConnectionConfig;
  private readonly connector: Connector;
  private readonly batcher: DispatchBatcher;
  private readonly subscription = new SubscriptionState();
  private readonly queue = new DeliveryQueue<ReceivedDelivery>();
  private readonly listeners = new Set<(d: ReceivedDelivery) => void>();
  private readonly autoKeys: boolean;
  private readonly onEvent: (event: ClientEvent) => void;
  private deliveryCount = 0;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(options: ClientOptions = {}) {
    this.config = resolveConnectionConfig(options, options.env);
    const settings: ConnectionSettings = { ...this.config };
    if (options.writeHighWaterMark !== undefined) settings.writeHighWaterMark = options.writeHighWaterMark;
    const attempts = nonNegative('reconnectAttempts', options.reconnectAttempts ?? 5);
    this.connector = new Connector(
      settings,
      {
        attempts,
        baseDelayMs: nonNegative('reconnectDelayMs', options.reconnectDelayMs ?? 100),
        maxDelayMs: nonNegative('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? 5000),
      },
      {
        onConnected: (conn, reconnect) => this.onConnected(conn, reconnect),
        onDeliver: (deliveries, conn) => {
          const session = conn.welcome.sessionId;
          for (const d of deliveries) this.deliver(toReceivedDelivery(d, session, conn.id));
        },
        onGoaway: (goaway) => this.onEvent({ type: 'goaway', goaway }),
        onError: (error) => this.onEvent({ type: 'error', error }),
        onLost: (reason, conn) => this.onLost(reason, conn),
      },
    );
    this.batcher = new DispatchBatcher(this.connector, {
      maxInFlightFrames: positive('maxDispatchFramesInFlight', options.maxDispatchFramesInFlight ?? 8),
      resendAttempts: attempts,
    });
    this.autoKeys = options.autoIdempotencyKeys ?? true;
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  /** A client with its connection open (the constructor connects lazily, on first use). */
  static async connect(options: ClientOptions = {}): Promise<SymphonyClient> {
    const client = new SymphonyClient(options);
    try {
      await client.connect();
    } catch (err) {
      await client.close({ timeoutMs: 0 });
      throw err;
    }
    return client;
  }

  /** Opens the connection now (retrying with backoff) and returns the broker's WELCOME. */
  async connect(): Promise<Welcome> {
    return (await this.connector.connection()).welcome;
  }

  /** The current connection's WELCOME, if connected. */
  get welcome(): Welcome | undefined {
    return this.connector.openConnection?.welcome;
  }

  /** The broker's limits (undefined until connected). */
  get limits(): ServerLimits | undefined {
    return this.connector.openConnection?.limits;
  }

  get isConnected(): boolean {
    return this.connector.openConnection !== undefined;
  }

  get counters(): ClientCounters {
    const d = this.batcher.counters;
    return {
      ...this.connector.counters,
      dispatchFrames: d.frames,
      dispatchedMessages: d.messages,
      resentMessages: d.resent,
      deliveries: this.deliveryCount,
    };
  }

  // ---- producing ----

  /**
   * Dispatches one message; resolves once the broker confirmed it (durable). Calls made together
   * travel in one DISPATCH frame. Rejects with a ProtocolError (DispatchError) when the broker
   * refuses this message, or a TransportError when it could not be confirmed.
   */
  dispatch(message: Message, options: DispatchOptions = {}): Promise<DispatchReceipt> {
    if (this.closing) return Promise.reject(closedError());
    try {
      return this.batcher.submit(prepareMessage(message, options, this.autoKeys));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Dispatches several messages together; one settled result per message, in order. */
  dispatchBatch(entries: readonly DispatchEntry[]): Promise<PromiseSettledResult<DispatchReceipt>[]> {
    return Promise.allSettled(entries.map((e) => ('message' in e ? this.dispatch(e.message, e.options) : this.dispatch(e))));
  }

  // ---- consuming ----

  /**
   * Becomes a consumer of `queues` (a second call adds queues and replaces prefetch and lease).
   * `prefetch` 0 and `leaseMs` 0 take the broker's defaults (10 and 30 000 ms). After a
   * reconnect the client subscribes again by itself.
   */
  async subscribe(queues: string | readonly string[], prefetch = 0, leaseMs = 0): Promise<Subscribed> {
    const list = typeof queues === 'string' ? [queues] : [...queues];
    const result = await this.call(Opcode.SUBSCRIBED, (id) => encodeSubscribe(id, { queues: list, prefetch, leaseMs }));
    this.subscription.subscribed(list, prefetch, leaseMs);
    return result;
  }

  /** Deliveries, in arrival order, until close() (or a reconnect that fails for good: it throws). */
  deliveries(): AsyncIterableIterator<ReceivedDelivery> {
    const q = this.queue;
    return {
      next: () => q.next(),
      return: async () => ({ value: undefined, done: true }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Calls `listener` for every delivery instead of queueing it for deliveries(). Returns the
   *  function that removes it. */
  onDelivery(listener: (delivery: ReceivedDelivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets the prefetch window; 0 pauses delivery (how a worker stops fetching). */
  async credit(prefetch: number): Promise<CreditOk> {
    const result = await this.call(Opcode.CREDIT_OK, (id) => encodeCredit(id, prefetch));
    this.subscription.credited(prefetch);
    return result;
  }

  /** Completes deliveries; larger lists are split by the broker's max_batch. */
  async ack(ids: bigint | readonly bigint[], options: AckOptions = {}): Promise<AckResult> {
    const chunks = await this.chunked(ids, (chunk) => this.call(Opcode.ACK_RESULT, (id) => encodeAck(id, chunk, options)));
    return { acked: chunks.reduce((n, r) => n + r.acked, 0), failures: chunks.flatMap((r) => r.failures) };
  }

  /** Fails a delivery: 'retry' (after the backoff, or dead-letter when retries are exhausted),
   *  'fatal' (dead-letter now) or 'release' (hand back, attempt not counted). */
  async nack(id: bigint, mode: NackMode | NackModeName, error = '', errorClass = ''): Promise<NackResultItem> {
    const m = typeof mode === 'string' ? NACK_MODES[mode] : mode;
    const [item] = await this.call(Opcode.NACK_RESULT, (rid) => encodeNack(rid, [{ messageId: id, mode: m, error, errorClass }]));
    return single(item, 'NACK_RESULT');
  }

  /** Extends a lease to now + `extendMs` (0: the subscription's lease). */
  async touch(id: bigint, extendMs = 0): Promise<TouchResultItem> {
    const [item] = await this.call(Opcode.TOUCH_RESULT, (rid) => encodeTouch(rid, extendMs, [id]));
    return single(item, 'TOUCH_RESULT');
  }

  // ---- admin ----

  ping(nonce = 0n): Promise<Pong> {
    return this.call(Opcode.PONG, (id) => encodePing(id, nonce));
  }

  /** Depths and counters of one queue, or of every queue. */
  stats(queue = ''): Promise<QueueStats[]> {
    return this.call(Opcode.QUEUE_STATS_RESULT, (id) => encodeQueueStats(id, queue));
  }

  async messageStatus(ids: bigint | readonly bigint[]): Promise<MessageStatusItem[]> {
    const chunks = await this.chunked(ids, (chunk) => this.call(Opcode.MESSAGE_STATUS_RESULT, (id) => encodeMessageStatus(id, chunk)));
    return chunks.flat();
  }

  /** Removes the ready and delayed messages of `queue`; resolves to how many. */
  purgeQueue(queue: string): Promise<bigint> {
    return this.call(Opcode.QUEUE_PURGE_RESULT, (id) => encodeQueuePurge(id, queue));
  }

  failedList(request: FailedListRequest = { limit: 100 }): Promise<FailedListResult> {
    return this.call(Opcode.FAILED_LIST_RESULT, (id) => encodeFailedList(id, request));
  }

  failedGet(id: bigint): Promise<DeadLetterDetail> {
    return this.call(Opcode.FAILED_GET_RESULT, (rid) => encodeFailedGet(rid, id));
  }

  /** Moves dead letters (ids, or everything a filter matches) back to their queues. */
  failedRetry(target: readonly bigint[] | DeadLetterTarget, options: { dryRun?: boolean } = {}): Promise<DeadLetterActionResult> {
    return this.call(Opcode.FAILED_RETRY_RESULT, (id) => encodeFailedRetry(id, toTarget(target), options.dryRun ?? false));
  }

  failedDelete(target: readonly bigint[] | DeadLetterTarget): Promise<DeadLetterActionResult> {
    return this.call(Opcode.FAILED_DELETE_RESULT, (id) => encodeFailedDelete(id, toTarget(target)));
  }

  async health(): Promise<HealthReport> {
    return parseDocument<HealthReport>(await this.call(Opcode.HEALTH_RESULT, (id) => encodeHealth(id)), 'HEALTH_RESULT');
  }

  /** The status document over `minutes` (0: the windows 1, 5 and 60). */
  async overview(minutes = 0): Promise<Overview> {
    return parseDocument<Overview>(await this.call(Opcode.OVERVIEW_RESULT, (id) => encodeOverview(id, minutes)), 'OVERVIEW_RESULT');
  }

  /** Prometheus text format 0.0.4. */
  metrics(): Promise<string> {
    return this.call(Opcode.METRICS_RESULT, (id) => encodeMetrics(id));
  }

  /**
   * Graceful close: new calls fail, dispatches already made are sent and confirmed (up to
   * `timeoutMs`), replies still due are awaited, then the connection closes and deliveries() ends.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closed ??= this.shutdown(options.timeoutMs ?? this.config.requestTimeoutMs);
    return this.closed;
  }

  // ---- internals ----

  /** One request on an open connection. A request refused by a draining connection (GOAWAY)
   *  never left, so it is tried again on the next one. */
  private async call<O extends ServerOpcode>(reply: O, encode: (requestId: number) => Buffer): Promise<ServerFrameValues[O]> {
    if (this.closing) throw closedError();
    for (;;) {
      const conn = await this.connector.connection();
      try {
        return await conn.request(reply, encode);
      } catch (err) {
        if (!(err instanceof TransportError && err.kind === 'goaway')) throw err;
      }
    }
  }

  /** Runs `fn` on slices of at most max_batch ids. */
  private async chunked<T>(ids: bigint | readonly bigint[], fn: (chunk: readonly bigint[]) => Promise<T>): Promise<T[]> {
    const list = typeof ids === 'bigint' ? [ids] : ids;
    const max = Math.max(1, (this.connector.openConnection ?? (await this.connector.connection())).limits.maxBatch);
    if (list.length <= max) return [await fn(list)];
    const parts: Promise<T>[] = [];
    for (let i = 0; i < list.length; i += max) parts.push(fn(list.slice(i, i + max)));
    return Promise.all(parts);
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.batcher.whenIdle(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.batcher.rejectQueued(closedError());
    await this.connector.close(timeoutMs);
    this.queue.end();
  }

  private deliver(d: ReceivedDelivery): void {
    this.deliveryCount++;
    if (this.listeners.size === 0) {
      this.queue.push(d);
      return;
    }
    for (const l of this.listeners) l(d);
  }

  private onConnected(conn: Connection, reconnect: boolean): void {
    this.onEvent({ type: 'connected', reconnect, welcome: conn.welcome });
    if (!reconnect || !this.subscription.active) return;
    // the broker forgot the consumer with the old connection: subscribe again (pipelined with
    // CREDIT 0 when paused, so both take effect before the broker's next delivery round)
    const failed = (err: unknown): void => {
      // a lost connection comes back through onLost; anything else cannot be cured by retrying
      if (!(err instanceof TransportError)) this.queue.end(err);
    };
    conn.request(Opcode.SUBSCRIBED, (id) => encodeSubscribe(id, this.subscription.request())).catch(failed);
    if (this.subscription.paused) conn.request(Opcode.CREDIT_OK, (id) => encodeCredit(id, 0)).catch(failed);
  }

  private onLost(reason: Error, conn: Connection): void {
    this.onEvent({ type: 'lost', reason });
    // deliveries of that connection not yet handed out are leased no more: the broker redelivers them
    this.queue.drop((d) => d.connectionId === conn.id);
    if (this.subscription.active && !this.closing) {
      this.connector.connection().catch((err: unknown) => this.queue.end(err));
    }
  }
}

function toTarget(target: readonly bigint[] | DeadLetterTarget): DeadLetterTarget {
  return Array.isArray(target) ? { kind: 'ids', ids: target as readonly bigint[] } : (target as DeadLetterTarget);
}

function single<T>(item: T | undefined, what: string): T {
  if (item === undefined) throw new ProtocolError(ErrorCode.MALFORMED_FRAME, `${what} has no item for the id sent`);
  return item;
}

function closedError(): TransportError {
  return new TransportError('closed', 'the client is closed');
}

function nonNegative(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `expected a non-negative integer, got ${String(n)}`);
  return n;
}

function positive(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(name, `expected a positive integer, got ${String(n)}`);
  return n;
}
