// The seeds' Worker: consumes queues and runs the registered handlers.
//
//   const worker = new Worker({ registry, queues: ['email'], handleSignals: true });
//   worker.on('failed', (e) => log.warn(e.errorClass, e.envelope.id));
//   await worker.start();
//
// Outcomes: a handler that resolves succeeded (ACK). A HandlerError(…, false) dead-letters at once
// (NACK FATAL); any other failure is retried by the broker's retry policy (NACK RETRY), which
// dead-letters the message when retries are exhausted. A message whose type has no handler is
// dead-lettered at once with error class NoHandlerError, without taking a handler slot.
//
// Flow: SUBSCRIBE with prefetch = batchSize; at most maxConcurrency handlers run at once, the rest
// of the prefetched messages wait in arrival order (the broker delivers the best first). Every
// held message's lease is extended (TOUCH) once half of its remaining time has passed, so a slow
// handler is not redelivered.
//
// Graceful stop (stop(), or SIGTERM/SIGINT with handleSignals), as docs/protocol.md §9 says:
// CREDIT 0, NACK RELEASE the prefetched messages no handler has started (their attempt is not
// counted), let the running handlers finish and settle them within shutdownGraceMs, then close.
// When the grace period runs out, the handlers' context.signal is aborted and their messages are
// nacked for retry (error class WorkerShutdown); their results are then dropped.
//
// Connection loss: the client reconnects and subscribes again by itself; the leases of the lost
// connection are gone, so the broker redelivers those messages, and results for them are dropped
// (event 'lost').
import { SymphonyClient, type ClientOptions } from '../client.js';
import { DEFAULT_URL, resolveConnectionConfig, type Env } from '../config.js';
import type { ReceivedDelivery } from '../delivery.js';
import { ConfigError } from '../errors.js';
import { NackOutcome } from '../protocol/settle.js';
import { envelopeFromDelivery } from './envelope.js';
import { createHandlerContext } from './handler-context.js';
import { HandlerError, NoHandlerError, classifyError } from './handler-error.js';
import type { HandlerRegistry } from './handler-registry.js';
import { LeaseKeeper } from './lease-keeper.js';
import { childLogger, consoleLogger, type Logger } from './logger.js';
import { ShutdownSignals } from './shutdown-signals.js';
import type { MessageEnvelope } from './types.js';
import { EventHub, type WorkerEvent, type WorkerEventOf, type WorkerEventType } from './worker-events.js';

/** What the worker needs of a client (a test can pass a fake). */
export type WorkerClient = Pick<SymphonyClient, 'subscribe' | 'onDelivery' | 'credit' | 'ack' | 'nack' | 'touch' | 'close' | 'welcome'>;

export interface WorkerOptions {
  registry: HandlerRegistry;
  /** Default: SYMPHONY_DEFAULT_QUEUE, else "default". */
  queues?: string | readonly string[];
  /** Prefetch: messages held at once. Default: SYMPHONY_WORKER_BATCH_SIZE, else 10. */
  batchSize?: number;
  /** Handlers running at once. Default: SYMPHONY_WORKER_MAX_CONCURRENCY, else 5. */
  maxConcurrency?: number;
  /** Lease of each delivery, ms. Default: 0, the broker's (30 000). */
  leaseMs?: number;
  /** A client to use (not closed by stop()). Default: one made from `connection`. */
  client?: WorkerClient;
  connection?: ClientOptions;
  /** Where SYMPHONY_* settings are read from. Default: connection.env, else process.env. */
  env?: Env;
  /** How long stop() lets running handlers finish. Default: 30 000 ms. */
  shutdownGraceMs?: number;
  /** Stop gracefully on SIGTERM and SIGINT. Default: false. */
  handleSignals?: boolean;
  /** The base of each handler's context.logger. Default: console. */
  logger?: Logger;
  /** Every event (see WorkerEvent). Must not throw. */
  onEvent?: (event: WorkerEvent) => void;
}

export interface WorkerStats {
  processed: number;
  retried: number;
  deadLettered: number;
  released: number;
  lost: number;
  extended: number;
  /** Handlers running now. */
  running: number;
  /** Prefetched, waiting for a handler slot. */
  waiting: number;
}

/** One message the worker holds. */
interface Held {
  delivery: ReceivedDelivery;
  envelope: MessageEnvelope;
  running: boolean;
  /** The lease is gone (a TOUCH was refused): drop the result. */
  lost: boolean;
  /** Settled by the shutdown (grace over) while its handler still ran: drop the result. */
  abandoned: boolean;
}

const MAX_ERROR_BYTES = 4096;
const MAX_CLASS_BYTES = 255;

export class Worker {
  readonly queues: string[];
  readonly batchSize: number;
  readonly maxConcurrency: number;
  private readonly registry: HandlerRegistry;
  private readonly client: WorkerClient;
  private readonly ownsClient: boolean;
  private readonly requestedLeaseMs: number;
  private readonly graceMs: number;
  private readonly handleSignals: boolean;
  private readonly logger: Logger;
  private readonly events: EventHub;
  private readonly leases = new LeaseKeeper((id) => void this.extend(id));
  private readonly signals = new ShutdownSignals();
  private readonly abort = new AbortController();
  private readonly held = new Map<string, Held>();
  private readonly waiting: Held[] = [];
  private readonly settling = new Set<Promise<void>>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly counts = { processed: 0, retried: 0, deadLettered: 0, released: 0, lost: 0, extended: 0 };
  private leaseMs = 0;
  private running = 0;
  private stopping = false;
  private unlisten: (() => void) | undefined;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(options: WorkerOptions) {
    if (!options.registry) throw new ConfigError('registry', 'a worker needs a HandlerRegistry');
    const env = options.env ?? options.connection?.env ?? process.env;
    // the client layer's parser validates the SYMPHONY_WORKER_* variables (naming the bad one)
    const s = resolveConnectionConfig(
      {
        url: DEFAULT_URL,
        ...(options.batchSize !== undefined && { workerBatchSize: options.batchSize }),
        ...(options.maxConcurrency !== undefined && { workerMaxConcurrency: options.maxConcurrency }),
      },
      env,
    );
    this.registry = options.registry;
    const queues = options.queues ?? s.defaultQueue ?? 'default';
    this.queues = typeof queues === 'string' ? [queues] : [...queues];
    if (this.queues.length === 0) throw new ConfigError('queues', 'a worker needs at least one queue');
    this.batchSize = s.workerBatchSize;
    this.maxConcurrency = s.workerMaxConcurrency;
    this.requestedLeaseMs = checkMs('leaseMs', options.leaseMs ?? 0);
    this.graceMs = checkMs('shutdownGraceMs', options.shutdownGraceMs ?? 30_000);
    this.handleSignals = options.handleSignals ?? false;
    this.logger = options.logger ?? consoleLogger;
    this.events = new EventHub(options.onEvent);
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new SymphonyClient({
        clientName: 'symphony-ts-worker',
        ...options.connection,
        env,
        onEvent: (e) => {
          if (e.type === 'lost') this.events.emit({ type: 'error', error: e.reason });
          options.connection?.onEvent?.(e);
        },
      });
  }

  on<T extends WorkerEventType>(type: T, listener: (event: WorkerEventOf<T>) => void): () => void {
    return this.events.on(type, listener);
  }

  get stats(): WorkerStats {
    return { ...this.counts, running: this.running, waiting: this.waiting.length };
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Subscribes and begins processing; resolves once subscribed. */
  start(): Promise<void> {
    this.started ??= this.begin();
    return this.started;
  }

  /** Graceful stop (see the header comment); resolves once closed. */
  stop(reason = 'stop() called'): Promise<void> {
    this.stopped ??= this.shutdown(reason);
    return this.stopped;
  }

  // ---- start ----

  private async begin(): Promise<void> {
    if (this.stopped) throw new Error('the worker was stopped');
    this.unlisten = this.client.onDelivery((d) => this.accept(d));
    try {
      const sub = await this.client.subscribe(this.queues, this.batchSize, this.requestedLeaseMs);
      this.leaseMs = sub.leaseMs;
      this.events.emit({ type: 'started', queues: [...this.queues], prefetch: sub.prefetch, leaseMs: sub.leaseMs });
    } catch (err) {
      this.unlisten();
      this.unlisten = undefined;
      if (this.ownsClient) await this.client.close({ timeoutMs: 0 }).catch(() => undefined);
      throw err;
    }
    if (this.handleSignals) this.signals.install((signal) => void this.stop(signal));
  }

  // ---- taking deliveries ----

  private accept(d: ReceivedDelivery): void {
    const id = d.id.toString();
    const known = this.held.get(id);
    if (known) {
      // redelivered while still held (its lease ran out, or the connection was replaced): the new
      // lease is ours, and the copy already held settles it
      known.delivery = d;
      known.lost = false;
      if (!known.running) known.envelope = envelopeFromDelivery(d);
      this.leases.track(id, d.leaseDeadline.getTime(), this.leaseMs);
      return;
    }
    const h: Held = { delivery: d, envelope: envelopeFromDelivery(d), running: false, lost: false, abandoned: false };
    if (this.stopping) {
      this.track(this.release(h));
      return;
    }
    if (!this.registry.has(d.type)) {
      this.track(this.fail(h, new NoHandlerError(d.type), 0));
      return;
    }
    this.held.set(id, h);
    this.waiting.push(h);
    this.leases.track(id, d.leaseDeadline.getTime(), this.leaseMs);
    this.pump();
  }

  /** Starts handlers while slots are free. */
  private pump(): void {
    while (!this.stopping && this.running < this.maxConcurrency) {
      const h = this.waiting.shift();
      if (!h) return;
      const session = this.client.welcome?.sessionId;
      if (h.lost || (session !== undefined && session !== h.delivery.sessionId)) {
        this.drop(h, h.lost ? 'lease lost before the handler started' : 'connection replaced before the handler started');
        continue;
      }
      void this.run(h);
    }
  }

  private async run(h: Held): Promise<void> {
    h.running = true;
    this.running++;
    const { envelope } = h;
    const context = createHandlerContext({
      envelope,
      logger: childLogger(this.logger, { messageId: envelope.id, type: envelope.type, attempt: envelope.attempt }),
      signal: this.abort.signal,
      stopping: () => this.stopping,
      touch: (extendMs) => this.touchFromHandler(h, extendMs),
    });
    const startedAt = performance.now();
    let error: unknown;
    let ok = false;
    try {
      await this.registry.execute(envelope.message, envelope, context);
      ok = true;
    } catch (err) {
      error = err;
    }
    const durationMs = Math.round(performance.now() - startedAt);
    this.running--;
    if (!h.abandoned) {
      const settle = ok ? this.succeed(h, durationMs) : this.fail(h, error, durationMs);
      this.track(settle);
      await settle;
    }
    this.pump();
    this.checkIdle();
  }

  // ---- settling ----

  private async succeed(h: Held, durationMs: number): Promise<void> {
    if (!this.forget(h)) return;
    try {
      const r = await this.client.ack(h.delivery.id);
      if (r.failures.length > 0) this.lostAfter(h, 'the broker refused the ack: the lease was gone');
      else {
        this.counts.processed++;
        this.events.emit({ type: 'processed', envelope: h.envelope, durationMs });
      }
    } catch (err) {
      this.settleError(h, err);
    }
  }

  private async fail(h: Held, error: unknown, durationMs: number): Promise<void> {
    if (!this.forget(h)) return;
    const c = classifyError(error);
    try {
      const r = await this.client.nack(h.delivery.id, c.retryable ? 'retry' : 'fatal', truncate(c.message, MAX_ERROR_BYTES), truncate(c.errorClass, MAX_CLASS_BYTES));
      if (r.code !== 0) {
        this.lostAfter(h, 'the broker refused the nack: the lease was gone');
        return;
      }
      const retried = r.outcome === NackOutcome.RETRY_SCHEDULED;
      if (retried) this.counts.retried++;
      else this.counts.deadLettered++;
      this.events.emit({
        type: 'failed',
        envelope: h.envelope,
        error,
        errorClass: c.errorClass,
        retryable: c.retryable,
        outcome: retried ? 'retry-scheduled' : 'dead-lettered',
        retryAt: retried ? new Date(r.availableAtMs) : undefined,
        durationMs,
      });
    } catch (err) {
      this.settleError(h, err);
    }
  }

  private async release(h: Held): Promise<void> {
    this.forget(h);
    try {
      const r = await this.client.nack(h.delivery.id, 'release', 'worker shutting down', '');
      if (r.code !== 0) this.lostAfter(h, 'the broker refused the release: the lease was gone');
      else {
        this.counts.released++;
        this.events.emit({ type: 'released', envelope: h.envelope });
      }
    } catch (err) {
      this.settleError(h, err);
    }
  }

  /** Stops tracking `h`; false when its lease is known to be gone (then reported as lost). */
  private forget(h: Held): boolean {
    const id = h.envelope.id;
    this.leases.untrack(id);
    if (this.held.get(id) === h) this.held.delete(id);
    if (h.lost) {
      this.lostAfter(h, 'the lease was lost while the handler ran');
      return false;
    }
    return true;
  }

  /** Drops a held message the broker will redeliver. */
  private drop(h: Held, reason: string): void {
    this.leases.untrack(h.envelope.id);
    if (this.held.get(h.envelope.id) === h) this.held.delete(h.envelope.id);
    this.lostAfter(h, reason);
  }

  private lostAfter(h: Held, reason: string): void {
    this.counts.lost++;
    this.events.emit({ type: 'lost', envelope: h.envelope, reason });
  }

  private settleError(h: Held, err: unknown): void {
    this.events.emit({ type: 'error', error: err, envelope: h.envelope });
    this.lostAfter(h, `settling failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  private track(p: Promise<void>): void {
    this.settling.add(p);
    void p.finally(() => {
      this.settling.delete(p);
      this.checkIdle();
    });
  }

  // ---- leases ----

  private async extend(id: string): Promise<void> {
    const h = this.held.get(id);
    if (!h || h.lost) return;
    try {
      const r = await this.client.touch(h.delivery.id, this.leaseMs);
      if (this.held.get(id) !== h) return; // settled meanwhile
      if (r.code === 0) {
        this.counts.extended++;
        this.leases.track(id, r.leaseDeadlineMs, this.leaseMs);
        this.events.emit({ type: 'extended', envelope: h.envelope, leaseDeadline: new Date(r.leaseDeadlineMs) });
        return;
      }
      this.leaseGone(h);
    } catch (err) {
      if (this.held.get(id) !== h) return;
      this.events.emit({ type: 'error', error: err, envelope: h.envelope });
      this.leaseGone(h);
    }
  }

  private leaseGone(h: Held): void {
    h.lost = true;
    if (h.running) return; // the handler goes on; its result is dropped
    const i = this.waiting.indexOf(h);
    if (i >= 0) this.waiting.splice(i, 1);
    this.drop(h, 'the lease could not be extended');
  }

  private async touchFromHandler(h: Held, extendMs?: number): Promise<void> {
    if (h.lost || h.abandoned) throw new Error(`the lease of message ${h.envelope.id} is gone`);
    const r = await this.client.touch(h.delivery.id, extendMs ?? this.leaseMs);
    if (r.code !== 0) {
      h.lost = true;
      throw new Error(`the lease of message ${h.envelope.id} is gone`);
    }
    this.counts.extended++;
    this.leases.track(h.envelope.id, r.leaseDeadlineMs, extendMs ?? this.leaseMs);
  }

  // ---- stopping ----

  private async shutdown(reason: string): Promise<void> {
    this.stopping = true;
    if (this.started) await this.started.catch(() => undefined);
    if (!this.unlisten) {
      // never started (or the start failed): nothing is held
      this.signals.remove();
      if (this.ownsClient) await this.client.close({ timeoutMs: 0 }).catch(() => undefined);
      return;
    }
    this.events.emit({ type: 'stopping', reason });
    try {
      await this.client.credit(0);
    } catch (err) {
      this.events.emit({ type: 'error', error: err });
    }
    for (const h of this.waiting.splice(0)) this.track(this.release(h));
    if (!(await this.idle(this.graceMs))) {
      this.abort.abort(new Error('the worker is stopping: its shutdown grace period is over'));
      for (const h of [...this.held.values()]) {
        if (!h.running) continue;
        h.abandoned = true; // its result, when it comes, is dropped
        this.track(this.fail(h, new HandlerError(`the worker stopped before the handler finished (grace ${this.graceMs} ms)`, true, { errorClass: 'WorkerShutdown' }), 0));
      }
      await this.idle(Math.max(1000, this.graceMs), true);
    }
    this.unlisten();
    this.leases.clear();
    this.signals.remove();
    if (this.ownsClient) await this.client.close().catch((err: unknown) => this.events.emit({ type: 'error', error: err }));
    this.events.emit({ type: 'stopped' });
  }

  /** Resolves true once nothing runs or settles (handlers only, with `settlesOnly`), false after
   *  `timeoutMs`. */
  private idle(timeoutMs: number, settlesOnly = false): Promise<boolean> {
    const done = (): boolean => this.settling.size === 0 && (settlesOnly || this.running === 0);
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.idleWaiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(check);
    });
  }

  private checkIdle(): void {
    for (const w of [...this.idleWaiters]) w();
  }
}

function checkMs(setting: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new ConfigError(setting, `expected a whole number of ms, got ${String(v)}`);
  return v;
}

/** At most `maxBytes` of UTF-8, never cut inside a character. */
function truncate(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const b = Buffer.from(text, 'utf8');
  let n = maxBytes;
  while (n > 0 && ((b[n] ?? 0) & 0xc0) === 0x80) n--;
  return b.subarray(0, n).toString('utf8');
}
