// The seeds' ready-made middleware: logging and error handling.
import { HandlerError, classifyError, errorClassOf, errorMessageOf } from './handler-error.js';
import type { Logger } from './logger.js';
import type { Middleware } from './middleware.js';
import { MessageValidationError } from './errors.js';

export interface LoggingMiddlewareOptions {
  /** Default: the context's logger (its lines carry the message id, type and attempt). */
  logger?: Logger;
}

/** Logs the start (debug), success (info, with the duration) and failure (warn if it will be
 *  retried, error if not) of every handler call; rethrows the failure. */
export function loggingMiddleware(options: LoggingMiddlewareOptions = {}): Middleware {
  return async (message, envelope, context, next) => {
    const log = options.logger ?? context.logger;
    const fields = { messageId: envelope.id, type: message.type, queue: envelope.queue, attempt: envelope.attempt };
    const started = performance.now();
    log.debug('handling message', fields);
    try {
      await next();
    } catch (err) {
      const c = classifyError(err);
      const durationMs = Math.round(performance.now() - started);
      (c.retryable ? log.warn : log.error).call(log, 'handler failed', { ...fields, durationMs, error: c.message, errorClass: c.errorClass, retryable: c.retryable });
      throw err;
    }
    log.info('handled message', { ...fields, durationMs: Math.round(performance.now() - started) });
  };
}

export interface ErrorHandlingMiddlewareOptions {
  /** Errors that retrying cannot fix: they become HandlerError(…, false) with their class kept.
   *  Default: validation errors (MessageValidationError and its ValidationError, zod's ZodError),
   *  SyntaxError, TypeError and RangeError (bugs and bad data do not heal with time). */
  isFatal?: (error: unknown) => boolean;
  /** Called with every failure (before it is rethrown), e.g. to report it. Must not throw. */
  onError?: (error: unknown, message: { type: string }, envelope: { id: string; attempt: number }) => void;
}

export function defaultIsFatal(error: unknown): boolean {
  if (error instanceof HandlerError) return !error.retryable;
  if (error instanceof MessageValidationError) return true;
  if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) return true;
  return error instanceof Error && error.name === 'ZodError';
}

/** Classifies failures (the seeds' "Error Classification": validation errors are not retryable,
 *  network errors are) and rethrows them as HandlerError, keeping the original class name and
 *  the error as `cause`. */
export function errorHandlingMiddleware(options: ErrorHandlingMiddlewareOptions = {}): Middleware {
  const isFatal = options.isFatal ?? defaultIsFatal;
  return async (message, envelope, _context, next) => {
    try {
      await next();
    } catch (err) {
      try {
        options.onError?.(err, message, envelope);
      } catch {
        // a reporting hook must not change how the message is settled
      }
      if (err instanceof HandlerError) throw err;
      throw new HandlerError(errorMessageOf(err), !isFatal(err), { errorClass: errorClassOf(err), cause: err });
    }
  };
}
