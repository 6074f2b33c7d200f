// The requests of one connection that wait for their reply, keyed by request id. Replies may
// come in any order (§2 "Pipelining"), so this is a map, not a queue. A request that times out
// is remembered as abandoned: its late reply is dropped instead of being taken for a stray frame.
import { ProtocolError } from './protocol/error-codes.js';
import { Opcode, opcodeName } from './protocol/frame.js';
import type { ServerFrame, ServerOpcode } from './protocol/server-frame.js';
import { TransportError } from './errors.js';

interface Pending {
  expected: ServerOpcode;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/** What became of a reply handed to settle(). */
export type SettleOutcome = 'settled' | 'abandoned' | 'unknown' | 'mismatch';

export class RequestTable {
  private readonly pending = new Map<number, Pending>();
  private readonly abandoned = new Set<number>();
  private lastId = 0;
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.pending.size;
  }

  /** A fresh non-zero u32 id that is neither pending nor abandoned (0 addresses the connection). */
  nextId(): number {
    do {
      this.lastId = (this.lastId + 1) >>> 0;
    } while (this.lastId === 0 || this.pending.has(this.lastId) || this.abandoned.has(this.lastId));
    return this.lastId;
  }

  /** Registers request `id`; the promise settles with its decoded reply, an error, or a timeout. */
  add<T>(id: number, expected: ServerOpcode, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { expected, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          this.remove(id);
          this.abandoned.add(id);
          reject(new TransportError('timeout', `no ${opcodeName(expected)} within ${timeoutMs} ms (request ${id})`));
        }, timeoutMs);
        entry.timer.unref(); // a waiting request alone must not keep the process alive
      }
      this.pending.set(id, entry);
    });
  }

  /** Fails request `id` (e.g. its frame could not be encoded or sent). */
  reject(id: number, reason: unknown): void {
    const entry = this.remove(id);
    entry?.reject(reason);
  }

  /**
   * Hands a reply or a request's ERROR to its request. 'unknown': no request has this id;
   * 'mismatch': the reply's opcode is not the one its request expects (the request is left
   * waiting: the caller fails the whole connection, this request with the rest).
   */
  settle(frame: ServerFrame): SettleOutcome {
    const waiting = this.pending.get(frame.requestId);
    if (!waiting) return this.abandoned.delete(frame.requestId) ? 'abandoned' : 'unknown';
    if (frame.opcode !== Opcode.ERROR && frame.opcode !== waiting.expected) return 'mismatch';
    const entry = this.remove(frame.requestId) as Pending;
    if (frame.opcode === Opcode.ERROR) {
      const { code, message } = frame.value;
      entry.reject(new ProtocolError(code, message, { requestId: frame.requestId }));
    } else {
      entry.resolve(frame.value);
    }
    return 'settled';
  }

  /** The reply opcode request `id` waits for. */
  expected(id: number): ServerOpcode | undefined {
    return this.pending.get(id)?.expected;
  }

  rejectAll(reason: unknown): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const e of entries) {
      if (e.timer) clearTimeout(e.timer);
      e.reject(reason);
    }
    this.notifyIdle();
  }

  /** Resolves once no request waits (at once if none does). */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private remove(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    if (this.pending.size === 0) this.notifyIdle();
    return entry;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
