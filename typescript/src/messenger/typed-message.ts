// Typed messages: a message type bound to a zod schema.
//
//   const EmailMessage = defineMessage('EmailMessage', z.object({ to: z.string().email(), ... }));
//   await EmailMessage.dispatch({ to: 'a@example.com', ... }, { priority: 7 }); // validated first
//   registry.register(EmailMessage.handler(async (message, envelope, context) => {
//     message.payload.to;                       // typed, and validated again on receipt
//   }));
//   const m = new EmailMessage({ ... });        // a validated Message, for messenger.dispatch(m)
//
// A payload that fails its schema is a ValidationError: before sending, nothing is sent; on
// receipt, the handler is not called and the message is dead-lettered at once (fatal NACK) with
// error class ValidationError, since a retry cannot make it valid.
//
// zod is a peer dependency used for its types only: validation calls the schema's own
// safeParse(), so the application's zod (3.x) is the one that runs.
import type { z } from 'zod';
import { getMessenger } from './default-messenger.js';
import { ValidationError, type ValidationIssue } from './errors.js';
import type { HandlerContext, HandlerEnvelope } from './handler-context.js';
import type { MessageHandler } from './handler.js';
import { HandlerError } from './handler-error.js';
import type { Messenger } from './messenger.js';
import type { DispatchOptions, DispatchOutcome, Message, MessageMetadata } from './types.js';

/** A schema whose output is a JSON object. */
export type PayloadSchema = z.ZodType<Record<string, unknown>, z.ZodTypeDef, unknown>;

export interface TypedMessage<T extends string, P extends Record<string, unknown>> extends Message {
  type: T;
  payload: P;
}

export type TypedHandlerFunction<T extends string, P extends Record<string, unknown>> = (
  message: TypedMessage<T, P>,
  envelope: HandlerEnvelope,
  context: HandlerContext,
) => Promise<void> | void;

/** What handler() builds: a MessageHandler with its type, for registry.register(handler). */
export interface TypedHandler<T extends string> extends MessageHandler {
  readonly type: T;
}

export interface MessageDefinition<T extends string, S extends PayloadSchema> {
  /** A validated message (throws ValidationError). */
  new (payload: z.input<S>, metadata?: MessageMetadata): TypedMessage<T, z.output<S>>;
  readonly type: T;
  readonly schema: S;
  /** The payload, validated (defaults and transforms applied); throws ValidationError. */
  parse(payload: unknown): z.output<S>;
  /** A validated message; throws ValidationError. */
  create(payload: z.input<S>, metadata?: MessageMetadata): TypedMessage<T, z.output<S>>;
  /** Whether `message` is of this type (its payload is not checked). */
  is(message: Message): message is TypedMessage<T, z.output<S>>;
  /** Validates, then dispatches on `messenger` (default: the default Messenger). */
  dispatch(payload: z.input<S>, options?: DispatchOptions, messenger?: Messenger): Promise<DispatchOutcome>;
  /** A handler that receives the validated payload. */
  handler(fn: TypedHandlerFunction<T, z.output<S>>): TypedHandler<T>;
}

export function defineMessage<T extends string, S extends PayloadSchema>(type: T, schema: S): MessageDefinition<T, S> {
  if (typeof type !== 'string' || type.length === 0) throw new TypeError('defineMessage: the type must be a non-empty string');
  if (typeof (schema as { safeParse?: unknown } | undefined)?.safeParse !== 'function') throw new TypeError(`defineMessage(${type}): the schema must be a zod schema`);

  const parse = (payload: unknown): z.output<S> => {
    const r = schema.safeParse(payload);
    if (r.success) return r.data as z.output<S>;
    throw new ValidationError(type, issuesOf(r.error), { cause: r.error });
  };

  // a class, so `new EmailMessage(payload)` reads like the seeds' message classes
  class Definition {
    static readonly type = type;
    static readonly schema = schema;
    readonly type: T = type;
    readonly payload: z.output<S>;
    readonly metadata?: MessageMetadata;

    constructor(payload: z.input<S>, metadata?: MessageMetadata) {
      this.payload = parse(payload);
      if (metadata !== undefined) this.metadata = metadata;
    }

    static parse(payload: unknown): z.output<S> {
      return parse(payload);
    }

    static create(payload: z.input<S>, metadata?: MessageMetadata): TypedMessage<T, z.output<S>> {
      return new Definition(payload, metadata);
    }

    static is(message: Message): message is TypedMessage<T, z.output<S>> {
      return message.type === type;
    }

    static async dispatch(payload: z.input<S>, options: DispatchOptions = {}, messenger?: Messenger): Promise<DispatchOutcome> {
      const message: TypedMessage<T, z.output<S>> = { type, payload: parse(payload) };
      return (messenger ?? getMessenger()).dispatch(message, options);
    }

    static handler(fn: TypedHandlerFunction<T, z.output<S>>): TypedHandler<T> {
      return {
        type,
        async handle(message: Message, envelope: HandlerEnvelope, context: HandlerContext): Promise<void> {
          let payload: z.output<S>;
          try {
            payload = parse(message.payload);
          } catch (err) {
            throw new HandlerError((err as Error).message, false, { errorClass: 'ValidationError', cause: err });
          }
          await fn({ ...message, type, payload }, envelope, context);
        },
      };
    }
  }
  Object.defineProperty(Definition, 'name', { value: type });
  return Definition as unknown as MessageDefinition<T, S>;
}

function issuesOf(error: { issues?: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code: string }> }): ValidationIssue[] {
  return (error.issues ?? []).map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message, code: i.code }));
}
