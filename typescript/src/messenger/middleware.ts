// The middleware chain around every handler call: (message, envelope, context, next). The first
// middleware registered is the outermost; not calling next() skips the handler (and counts as
// success unless the middleware throws).
import type { HandlerContext } from './handler-context.js';
import type { Message, MessageEnvelope } from './types.js';

export type Middleware = (message: Message, envelope: MessageEnvelope, context: HandlerContext, next: () => Promise<void>) => Promise<void>;

export class MiddlewareChain {
  private readonly items: Middleware[] = [];

  use(middleware: Middleware): this {
    if (typeof middleware !== 'function') throw new TypeError('middleware must be a function');
    this.items.push(middleware);
    return this;
  }

  get size(): number {
    return this.items.length;
  }

  /** Runs the chain with `last` (the handler) at its end. */
  run(message: Message, envelope: MessageEnvelope, context: HandlerContext, last: () => Promise<void>): Promise<void> {
    const items = [...this.items]; // a use() during a run does not change it
    const step = async (i: number): Promise<void> => {
      const mw = items[i];
      if (mw === undefined) return last();
      let called = false;
      await mw(message, envelope, context, () => {
        if (called) return Promise.reject(new Error('next() called twice by a middleware'));
        called = true;
        return step(i + 1);
      });
    };
    return step(0);
  }
}
