// Handlers by message type, and the middleware chain every call goes through. The Worker and
// SyncTransport both run messages with execute().
import { handlerEnvelope, type HandlerContext } from './handler-context.js';
import { invokeHandler, type HandlerLike, type MessageHandler } from './handler.js';
import { NoHandlerError } from './handler-error.js';
import { MiddlewareChain, type Middleware } from './middleware.js';
import type { Message, MessageEnvelope } from './types.js';

export class HandlerRegistry {
  private readonly handlers = new Map<string, HandlerLike>();
  private readonly chain = new MiddlewareChain();

  /** register(type, handler), or register(handler) for an object with a `type`. A later
   *  registration of the same type replaces the earlier one. */
  register<M extends Message>(type: string, handler: HandlerLike<M>): this;
  register<M extends Message>(handler: MessageHandler<M>): this;
  register(a: string | MessageHandler, b?: HandlerLike): this {
    const [type, handler] = typeof a === 'string' ? [a, b] : [a.type, a];
    if (typeof type !== 'string' || type.length === 0) throw new TypeError('a handler needs a non-empty message type (register(type, handler), or a handler with a `type`)');
    const ok = typeof handler === 'function' || (typeof handler === 'object' && handler !== null && typeof handler.handle === 'function');
    if (!ok) throw new TypeError(`the handler for ${type} must be a function or have a handle() method`);
    this.handlers.set(type, handler);
    return this;
  }

  lookup(type: string): HandlerLike | undefined {
    return this.handlers.get(type);
  }

  has(type: string): boolean {
    return this.handlers.has(type);
  }

  /** The registered types, sorted. */
  types(): string[] {
    return [...this.handlers.keys()].sort();
  }

  get size(): number {
    return this.handlers.size;
  }

  use(middleware: Middleware): this {
    this.chain.use(middleware);
    return this;
  }

  /** Runs the message's handler through the middleware; throws NoHandlerError when its type has
   *  none, and whatever the chain throws. */
  async execute(message: Message, envelope: MessageEnvelope, context: HandlerContext): Promise<void> {
    const handler = this.handlers.get(message.type);
    if (handler === undefined) throw new NoHandlerError(message.type);
    const full = handlerEnvelope(envelope, context);
    await this.chain.run(message, full, context, () => invokeHandler(handler, message, full, context));
  }
}
