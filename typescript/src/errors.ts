// The errors of the connection and client layers. A broker's answer is a ProtocolError (from the
// codec); everything about the transport itself is a TransportError, so callers can tell "the
// broker said no" from "the request may not have reached the broker".

/** Why a request failed without an answer from the broker. */
export type TransportErrorKind =
  /** Could not connect, or the connection failed before WELCOME. */
  | 'connect'
  /** The connection was lost (closed by the broker or the network) before the reply came. */
  | 'lost'
  /** The broker sent GOAWAY: this connection takes no new requests; nothing was sent. */
  | 'goaway'
  /** No reply within the request's timeout (a late reply is dropped). */
  | 'timeout'
  /** This client or connection was closed by its owner. */
  | 'closed';

export interface TransportErrorOptions {
  cause?: unknown;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly kind: TransportErrorKind;

  constructor(kind: TransportErrorKind, message: string, options: TransportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
  }

  /** True when the request may be sent again on a new connection (it was never answered). */
  get reconnectable(): boolean {
    return this.kind === 'connect' || this.kind === 'lost' || this.kind === 'goaway';
  }
}

/** A bad setting: the message names the option or environment variable and the bad value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The option or environment variable at fault. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
  }
}
