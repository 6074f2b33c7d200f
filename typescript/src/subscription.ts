// What this client subscribed to, so a new connection can subscribe again after a reconnect
// (the broker forgets a consumer with its connection and redelivers its unacked messages).
import type { Subscribe } from './protocol/consume.js';

export class SubscriptionState {
  private readonly queues = new Set<string>();
  private prefetch = 0;
  private leaseMs = 0;
  /** The window set by CREDIT since the last SUBSCRIBE, if any. */
  private credit: number | undefined;

  get active(): boolean {
    return this.queues.size > 0;
  }

  /** A SUBSCRIBE succeeded: it adds queues and replaces prefetch and lease (§5.4). */
  subscribed(queues: readonly string[], prefetch: number, leaseMs: number): void {
    for (const q of queues) this.queues.add(q);
    this.prefetch = prefetch;
    this.leaseMs = leaseMs;
    this.credit = undefined;
  }

  /** A CREDIT succeeded: the window to restore after a reconnect. */
  credited(prefetch: number): void {
    this.credit = prefetch;
  }

  /** The SUBSCRIBE that restores this state on a new connection. */
  request(): Subscribe {
    const prefetch = this.credit !== undefined && this.credit > 0 ? this.credit : this.prefetch;
    return { queues: [...this.queues], prefetch, leaseMs: this.leaseMs };
  }

  /** True when delivery was paused with CREDIT 0: SUBSCRIBE's prefetch 0 means "the default",
   *  not "paused", so a CREDIT 0 must follow it. */
  get paused(): boolean {
    return this.credit === 0;
  }
}
