// The seeds' MessageHandler: a class implementing handle(message, envelope, context), an object
// { type, handle } (registered by its type), or a plain function.
import type { HandlerContext, HandlerEnvelope } from './handler-context.js';
import type { Message } from './types.js';

export interface MessageHandler<M extends Message = Message> {
  /** The message type it handles: lets registry.register(handler) find it. */
  readonly type?: string;
  /** Resolve: success (ACK). Throw: failure (see HandlerError). */
  handle(message: M, envelope: HandlerEnvelope, context: HandlerContext): Promise<void>;
}

export type HandlerFunction<M extends Message = Message> = (
  message: M,
  envelope: HandlerEnvelope,
  context: HandlerContext,
) => Promise<void> | void;

export type HandlerLike<M extends Message = Message> = MessageHandler<M> | HandlerFunction<M>;

export async function invokeHandler(handler: HandlerLike, message: Message, envelope: HandlerEnvelope, context: HandlerContext): Promise<void> {
  if (typeof handler === 'function') await handler(message, envelope, context);
  else await handler.handle(message, envelope, context);
}
