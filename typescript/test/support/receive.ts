// Collects a client's deliveries (through onDelivery, so a wait that times out loses nothing) and
// waits for them with a deadline: a test that expects a message fails instead of hanging.
import type { ReceivedDelivery, SymphonyClient } from '../../src/index.js';

export class Inbox {
  private readonly items: ReceivedDelivery[] = [];
  /** Local arrival time of each delivery (Date.now()), by id and attempt. */
  readonly arrivals = new Map<string, number>();
  readonly stop: () => void;

  constructor(client: SymphonyClient) {
    this.stop = client.onDelivery((d) => {
      this.arrivals.set(`${d.id}/${d.attempt}`, Date.now());
      this.items.push(d);
    });
  }

  arrivedAt(d: ReceivedDelivery): number {
    return this.arrivals.get(`${d.id}/${d.attempt}`) ?? NaN;
  }

  /** The next `count` deliveries, in arrival order. */
  async take(count: number, timeoutMs = 5000): Promise<ReceivedDelivery[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < count) {
      if (Date.now() > deadline) throw new Error(`received ${this.items.length} of ${count} deliveries within ${timeoutMs} ms`);
      await sleep(5);
    }
    return this.items.splice(0, count);
  }

  /** Whatever arrives within `ms` (expected: nothing). */
  async within(ms: number): Promise<ReceivedDelivery[]> {
    await sleep(ms);
    return this.items.splice(0);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
