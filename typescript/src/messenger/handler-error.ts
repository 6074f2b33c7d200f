// How a handler's failure is settled. HandlerError(message, retryable) is the seeds' way to say
// it: retryable -> NACK RETRY (the broker applies its retry policy and dead-letters when retries
// are exhausted), not retryable -> NACK FATAL (dead letter at once). Any other error is retryable
// (a network blip is the common case) and is recorded under its class name.

export interface HandlerErrorOptions {
  /** Recorded with the failure (and filterable in the dead-letter set). Default: the class name. */
  errorClass?: string;
  cause?: unknown;
}

export class HandlerError extends Error {
  readonly retryable: boolean;
  readonly errorClass: string;

  constructor(message: string, retryable = true, options: HandlerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = retryable;
    this.errorClass = options.errorClass ?? new.target.name;
  }
}

/** A delivery whose type has no registered handler: dead-lettered at once. */
export class NoHandlerError extends HandlerError {
  readonly messageType: string;

  constructor(messageType: string) {
    super(`no handler registered for message type ${JSON.stringify(messageType)}`, false);
    this.messageType = messageType;
  }
}

export interface ErrorClassification {
  retryable: boolean;
  errorClass: string;
  message: string;
}

export function classifyError(error: unknown): ErrorClassification {
  if (error instanceof HandlerError) return { retryable: error.retryable, errorClass: error.errorClass, message: error.message };
  return { retryable: true, errorClass: errorClassOf(error), message: errorMessageOf(error) };
}

/** The class name of an error ("TypeError", "FetchError"...); "UnknownError" for a non-Error. */
export function errorClassOf(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name || 'Error';
  return 'UnknownError';
}

export function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
