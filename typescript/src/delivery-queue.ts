// Deliveries waiting for the application, read with `for await`. Several readers may share it
// (each item goes to one). end() finishes every reader; end(error) makes them throw.

export class DeliveryQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private readers: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private ended = false;
  private failure: unknown;

  get size(): number {
    return this.items.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader) reader.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** Drops buffered items (e.g. deliveries whose lease died with their connection). */
  drop(predicate: (item: T) => boolean): number {
    const before = this.items.length;
    this.items = this.items.filter((i) => !predicate(i));
    return before - this.items.length;
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) {
      if (error === undefined) r.resolve({ value: undefined, done: true });
      else r.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.ended) {
      return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure);
    }
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    // breaking out of a for-await must not end the queue for other readers
    return { next: () => this.next(), return: async () => ({ value: undefined, done: true }) };
  }
}
