// What a handler gets besides the message: the attempt, a logger, a shutdown signal and touch().
//
// The seeds write handlers two ways: classes with handle(message, envelope, context), and objects
// { type, handle: (message, context) => ... }. To serve both, a handler's second argument is the
// envelope *with the context's members on it* (HandlerEnvelope), and the third is the context
// again: handle(message, context) then finds attempt, logger, signal and touch() where it looks.
import type { Logger } from './logger.js';
import type { MessageEnvelope } from './types.js';

export interface HandlerContext {
  /** The envelope's attempt: 1 on the first delivery. */
  readonly attempt: number;
  readonly envelope: MessageEnvelope;
  /** Lines carry the message id, type and attempt. */
  readonly logger: Logger;
  /** Aborted when the worker's shutdown grace period has run out: stop now (the message is then
   *  retried). Never aborted under SyncTransport. */
  readonly signal: AbortSignal;
  /** True once the worker is shutting down (it lets running handlers finish). */
  readonly stopping: boolean;
  /** Extends the lease to now + `extendMs` (default: the subscription's lease). The worker does
   *  this by itself before the deadline; call it to be explicit. No-op under SyncTransport. */
  touch(extendMs?: number): Promise<void>;
}

/** A handler's second argument: the envelope, with the context's members (see above). */
export type HandlerEnvelope = MessageEnvelope & HandlerContext;

export interface ContextParts {
  envelope: MessageEnvelope;
  logger: Logger;
  signal: AbortSignal;
  stopping: () => boolean;
  touch: (extendMs?: number) => Promise<void>;
}

export function createHandlerContext(parts: ContextParts): HandlerContext {
  return {
    attempt: parts.envelope.attempt,
    envelope: parts.envelope,
    logger: parts.logger,
    signal: parts.signal,
    get stopping() {
      return parts.stopping();
    },
    touch: parts.touch,
  };
}

/** The envelope with the context's members, getters kept live. */
export function handlerEnvelope(envelope: MessageEnvelope, context: HandlerContext): HandlerEnvelope {
  return Object.defineProperties({ ...envelope }, Object.getOwnPropertyDescriptors(context)) as HandlerEnvelope;
}
