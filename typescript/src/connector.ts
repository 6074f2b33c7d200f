// Keeps one open Connection for a client: opens it on demand, and after a lost connection or a
// GOAWAY opens a new one with exponential backoff. Concurrent callers share one attempt.
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { Connection, type ConnectionListener, type ConnectionSettings } from './connection.js';
import { TransportError } from './errors.js';
import type { Delivery } from './protocol/consume.js';
import type { Goaway } from './protocol/control.js';
import { ErrorCode, ProtocolError } from './protocol/error-codes.js';

export interface ConnectorEvents {
  /** A new connection is open (`reconnect`: it replaces a lost or drained one). */
  onConnected?(connection: Connection, reconnect: boolean): void;
  onDeliver?(deliveries: Delivery[], connection: Connection): void;
  onGoaway?(goaway: Goaway, connection: Connection): void;
  onError?(error: ProtocolError, connection: Connection): void;
  /** The connection closed (by the broker, the network, or a protocol error). */
  onLost?(reason: Error, connection: Connection): void;
}

export interface ConnectorCounters {
  /** Connections opened (HELLO/WELCOME done). */
  connects: number;
  /** Of those, the ones that replaced a previous connection. */
  reconnects: number;
  /** Connection attempts that failed. */
  failedAttempts: number;
  goaways: number;
}

/** Errors that a new attempt may cure: a transport failure or a broker that is stopping or full. */
export function isRetryableConnectError(err: unknown): boolean {
  if (err instanceof TransportError) return err.kind !== 'closed';
  if (err instanceof ProtocolError) {
    return err.category === 'server' || err.code === ErrorCode.TOO_MANY_CONNECTIONS;
  }
  return false;
}

export class Connector {
  private current: Connection | undefined;
  private opening: Promise<Connection> | undefined;
  private everConnected = false;
  private closedByOwner = false;
  private readonly abort = new AbortController();
  readonly counters: ConnectorCounters = { connects: 0, reconnects: 0, failedAttempts: 0, goaways: 0 };

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly backoff: BackoffOptions,
    private readonly events: ConnectorEvents = {},
  ) {}

  /** The open connection, if there is one right now. */
  get openConnection(): Connection | undefined {
    return this.current?.isOpen ? this.current : undefined;
  }

  get isClosed(): boolean {
    return this.closedByOwner;
  }

  /** An open connection: the current one, or a new one (retrying with backoff). */
  connection(): Promise<Connection> {
    if (this.closedByOwner) return Promise.reject(this.closedError());
    const open = this.openConnection;
    if (open) return Promise.resolve(open);
    this.opening ??= this.openWithRetry().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Graceful: waits (up to `timeoutMs`) for the replies still due, then closes. */
  async close(timeoutMs?: number): Promise<void> {
    if (this.closedByOwner) return;
    this.closedByOwner = true;
    this.abort.abort();
    await this.opening?.catch(() => undefined);
    await this.current?.close(timeoutMs);
  }

  private async openWithRetry(): Promise<Connection> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.backoff.attempts; attempt++) {
      if (attempt > 0 && !(await sleep(backoffDelay(this.backoff, attempt), this.abort.signal))) break;
      if (this.closedByOwner) break;
      try {
        const conn = await Connection.connect(this.settings, this.listener());
        if (this.closedByOwner) {
          conn.destroy();
          break;
        }
        this.adopt(conn);
        return conn;
      } catch (err) {
        this.counters.failedAttempts++;
        lastError = err;
        if (!isRetryableConnectError(err)) throw err;
      }
    }
    if (this.closedByOwner) throw this.closedError();
    throw lastError;
  }

  private adopt(conn: Connection): void {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.current = conn;
    this.counters.connects++;
    if (reconnect) this.counters.reconnects++;
    this.events.onConnected?.(conn, reconnect);
  }

  private listener(): ConnectionListener {
    return {
      onDeliver: (deliveries, conn) => this.events.onDeliver?.(deliveries, conn),
      onGoaway: (goaway, conn) => {
        this.counters.goaways++;
        this.events.onGoaway?.(goaway, conn);
      },
      onError: (error, conn) => this.events.onError?.(error, conn),
      onClose: (reason, conn) => {
        if (this.current === conn) this.current = undefined;
        if (!this.closedByOwner) this.events.onLost?.(reason, conn);
      },
    };
  }

  private closedError(): TransportError {
    return new TransportError('closed', 'the client is closed');
  }
}
