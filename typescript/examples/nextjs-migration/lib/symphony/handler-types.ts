// The seeds' handler contract (user guide "Create a Handler", migration guide "Handler
// Implementation"), local to this example until the package has it.
//
// TODO(messenger): switch to the Messenger API (src/messenger/, 'symphony-messenger'): import
// Message, MessageHandler, HandlerContext and HandlerError from the package and delete this file.

/** The seeds' message: `{ type, payload, metadata? }`. */
export interface Message {
  type: string;
  payload: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface MessageEnvelope {
  id: string;
  queue: string;
  /** 1 on the first delivery. */
  attempt: number;
  priority: number;
  headers: Record<string, string>;
  createdAt: Date;
}

export interface HandlerContext {
  /** Aborted when the worker shuts down: stop early if the work allows. */
  signal: AbortSignal;
  log: (text: string) => void;
}

export interface MessageHandler {
  handle(message: Message, envelope: MessageEnvelope, context: HandlerContext): Promise<void>;
}

/** `retryable` false: dead-letter now (bad input, auth); true: retry with the broker's backoff. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
