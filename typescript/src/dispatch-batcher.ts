// Coalesces dispatch() calls into DISPATCH frames. Calls made in the same tick, or while frames
// are in flight, wait in one queue; each flush takes as many as one frame may carry (the broker's
// max_batch and max_frame_bytes), and at most `maxInFlightFrames` frames are outstanding at once.
// So 10 000 concurrent dispatches cost a handful of round trips, and a lone one still leaves
// within the tick.
//
// When a connection is lost before a frame's reply, its messages go back to the front of the
// queue and are sent again on the next connection with the same idempotency keys: the broker
// answers `duplicate` for those it had already taken (docs/protocol.md §5.3).
import type { Connection } from './connection.js';
import { TransportError } from './errors.js';
import { receiptOf, type DispatchReceipt, type PreparedMessage } from './message.js';
import { encodeDispatch, type DispatchResult } from './protocol/dispatch.js';
import { ErrorCode, ProtocolError } from './protocol/error-codes.js';
import { Opcode } from './protocol/frame.js';
import type { ServerLimits } from './protocol/handshake.js';

/** The part of Connector the batcher uses. */
export interface ConnectionSource {
  readonly openConnection: Connection | undefined;
  connection(): Promise<Connection>;
}

export interface DispatchBatcherOptions {
  /** DISPATCH frames awaiting their reply at once. */
  maxInFlightFrames: number;
  /** Times a message is sent again after a lost connection before its call fails. */
  resendAttempts: number;
  /** Per-frame reply timeout; default: the connection's. */
  timeoutMs?: number;
}

export interface DispatchCounters {
  /** DISPATCH frames written to a socket. */
  frames: number;
  /** Messages in those frames (resends included). */
  messages: number;
  /** Messages put back in the queue after a lost connection. */
  resent: number;
}

interface Pending {
  prepared: PreparedMessage;
  resolve: (r: DispatchReceipt) => void;
  reject: (e: unknown) => void;
  sends: number;
}

export class DispatchBatcher {
  readonly counters: DispatchCounters = { frames: 0, messages: 0, resent: 0 };
  private queue: Pending[] = [];
  private inFlight = 0;
  private flushScheduled = false;
  private awaitingConnection = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly source: ConnectionSource,
    private readonly options: DispatchBatcherOptions,
  ) {}

  /** Messages waiting to be sent or confirmed. */
  get outstanding(): number {
    return this.queue.length + this.inFlight;
  }

  submit(prepared: PreparedMessage): Promise<DispatchReceipt> {
    return new Promise((resolve, reject) => {
      this.queue.push({ prepared, resolve, reject, sends: 0 });
      this.scheduleFlush();
    });
  }

  /** Fails every message not yet sent (the client is closing for good). */
  rejectQueued(reason: unknown): void {
    const queued = this.queue;
    this.queue = [];
    for (const p of queued) p.reject(reason);
    this.notifyIfIdle();
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: calls made after awaits within this tick still join
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlightFrames) {
      const conn = this.source.openConnection;
      if (!conn) {
        this.awaitConnection();
        return;
      }
      const batch = this.take(conn.limits);
      if (batch.length === 0) continue;
      this.inFlight++;
      void this.send(conn, batch).finally(() => {
        this.inFlight--;
        this.flush();
        this.notifyIfIdle();
      });
    }
    this.notifyIfIdle();
  }

  private awaitConnection(): void {
    if (this.awaitingConnection) return;
    this.awaitingConnection = true;
    this.source.connection().then(
      () => {
        this.awaitingConnection = false;
        this.flush();
      },
      (err: unknown) => {
        // every reconnect attempt failed: the queued calls fail; a later call tries again
        this.awaitingConnection = false;
        this.rejectQueued(err);
      },
    );
  }

  /** The next batch that fits one frame; a message too big for any frame fails alone. */
  private take(limits: ServerLimits): Pending[] {
    const maxBytes = limits.maxFrameBytes - 4; // the u32 count
    let bytes = 0;
    let n = 0;
    const maxCount = Math.max(1, limits.maxBatch); // a broker announcing 0 must not stall us
    while (n < this.queue.length && n < maxCount) {
      const p = this.queue[n] as Pending;
      if (p.prepared.bytes > maxBytes) {
        this.queue.splice(n, 1);
        p.reject(new ProtocolError(ErrorCode.MESSAGE_TOO_LARGE, `the message takes ${p.prepared.bytes} bytes, over the broker's max_frame_bytes ${limits.maxFrameBytes}`));
        continue;
      }
      if (bytes + p.prepared.bytes > maxBytes) break;
      bytes += p.prepared.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async send(conn: Connection, batch: Pending[]): Promise<void> {
    const sentBefore = conn.framesSent;
    for (const p of batch) p.sends++;
    let written = false; // stays false when the connection refused it before sending (GOAWAY)
    let results: DispatchResult[];
    try {
      const request = conn.request(
        Opcode.DISPATCH_RESULT,
        (id) => encodeDispatch(id, batch.map((p) => p.prepared.wire)),
        this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs },
      );
      written = conn.framesSent > sentBefore;
      if (written) {
        this.counters.frames++;
        this.counters.messages += batch.length;
      }
      results = await request;
    } catch (err) {
      this.onFrameFailed(batch, err, written);
      return;
    }
    // usually one result per message, in order; a fan-out or a reordered reply is grouped by index
    const inOrder = results.length === batch.length && results.every((r, i) => r.index === i);
    const byIndex = inOrder ? undefined : groupByIndex(results);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending;
      try {
        p.resolve(receiptOf(byIndex ? (byIndex.get(i) ?? []) : [results[i] as DispatchResult], p.prepared.wire.idempotencyKey));
      } catch (err) {
        p.reject(err);
      }
    }
  }

  private onFrameFailed(batch: Pending[], err: unknown, written: boolean): void {
    if (!isResendable(err)) {
      for (const p of batch) p.reject(err);
      return;
    }
    const again: Pending[] = [];
    for (const p of batch) {
      if (!written) p.sends--; // refused before it left (GOAWAY): not an attempt
      if (p.sends > this.options.resendAttempts) p.reject(err);
      else again.push(p);
    }
    this.counters.resent += again.length;
    this.queue.unshift(...again); // keep their place: they were first
  }

  private notifyIfIdle(): void {
    if (this.queue.length > 0 || this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function groupByIndex(results: readonly DispatchResult[]): Map<number, DispatchResult[]> {
  const byIndex = new Map<number, DispatchResult[]>();
  for (const r of results) {
    const list = byIndex.get(r.index);
    if (list) list.push(r);
    else byIndex.set(r.index, [r]);
  }
  return byIndex;
}

/** Unanswered because of the connection, or refused because the broker is stopping: the
 *  message may go again on a new connection with the same key. */
export function isResendable(err: unknown): boolean {
  if (err instanceof TransportError) return err.reconnectable;
  return err instanceof ProtocolError && err.code === ErrorCode.SHUTTING_DOWN;
}
