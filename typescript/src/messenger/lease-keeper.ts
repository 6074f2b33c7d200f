// Lease extension: for every message the worker holds (waiting for a handler or running), a timer
// fires once half of the lease's remaining time has passed, and the worker then TOUCHes it. The
// deadline is on the broker's clock; only the remaining time is used, from local receipt, and
// never more than the lease itself, so a skewed clock can make it early, never late.

export class LeaseKeeper {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onDue: (id: string) => void) {}

  /** (Re)arms the timer of `id` for a lease ending at `deadlineMs`; `leaseMs` 0: unknown. */
  track(id: string, deadlineMs: number, leaseMs: number): void {
    this.untrack(id);
    let remaining = Math.max(0, deadlineMs - Date.now());
    if (leaseMs > 0) remaining = Math.min(remaining, leaseMs);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.onDue(id);
    }, Math.floor(remaining / 2));
    this.timers.set(id, timer);
  }

  untrack(id: string): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  get size(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
