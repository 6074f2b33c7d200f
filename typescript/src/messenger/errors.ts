// Errors of the Messenger layer that are not about the wire (those are ProtocolError, DispatchError
// and TransportError from the client layer).

/** A message or dispatch option refused before anything was sent (the seeds' name). */
export class MessageValidationError extends Error {
  override name = 'MessageValidationError';
}

export interface ValidationIssue {
  /** Where in the payload: ['to'], ['items', 0, 'sku']; empty for the payload itself. */
  path: Array<string | number>;
  message: string;
  code: string;
}

/** A typed message's payload does not match its schema. */
export class ValidationError extends MessageValidationError {
  override name = 'ValidationError';
  readonly messageType: string;
  readonly issues: ValidationIssue[];

  constructor(messageType: string, issues: ValidationIssue[], options?: { cause?: unknown }) {
    const text = issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    super(`${messageType} payload is invalid: ${text || 'rejected by its schema'}`, options);
    this.messageType = messageType;
    this.issues = issues;
  }
}
