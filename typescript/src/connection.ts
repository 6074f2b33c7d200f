// One connection to a broker (docs/protocol.md §2-3): HELLO/WELCOME, then any number of pipelined
// requests whose replies are matched by request id in any order, and server pushes (DELIVER,
// GOAWAY, connection-level ERROR) handed to a listener. It never reconnects: SymphonyClient does.
//
// Failure rules: an ERROR reply rejects its request alone with a ProtocolError. A broken stream
// from the broker (bad header, bad body, a reply nobody asked for) is a ProtocolError that closes
// the connection and rejects every waiting request with it. A closed socket rejects every waiting
// request with a TransportError. Nothing waits forever: each request also has a timeout.
import type { Socket } from 'node:net';
import type { ConnectionConfig } from './config.js';
import { ConfigError, TransportError } from './errors.js';
import { RequestTable } from './request-table.js';
import { openSocket } from './socket-open.js';
import type { Delivery } from './protocol/consume.js';
import type { Goaway } from './protocol/control.js';
import { ErrorCode, ProtocolError, closesConnection } from './protocol/error-codes.js';
import { FrameDecoder } from './protocol/frame-decoder.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  HARD_MAX_FRAME_BYTES,
  MAX_HELLO_BODY_BYTES,
  Opcode,
  opcodeName,
  type Frame,
} from './protocol/frame.js';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, encodeHello, type ServerLimits, type Welcome } from './protocol/handshake.js';
import { decodeServerFrame, type ServerFrameValues, type ServerOpcode } from './protocol/server-frame.js';

export type ConnectionSettings = Pick<
  ConnectionConfig,
  'host' | 'port' | 'tls' | 'tlsOptions' | 'token' | 'clientName' | 'connectTimeoutMs' | 'requestTimeoutMs'
> & {
  /** Bytes the socket may hold unsent before further frames wait for 'drain'. Default: 1 MiB. */
  writeHighWaterMark?: number;
};

/** Server pushes and the end of the connection. Listeners must not throw. */
export interface ConnectionListener {
  onDeliver?(deliveries: Delivery[], connection: Connection): void;
  /** The broker is stopping: no new requests here; those already sent are still answered. */
  onGoaway?(goaway: Goaway, connection: Connection): void;
  /** A connection-level ERROR (request id 0) that does not close the connection. */
  onError?(error: ProtocolError, connection: Connection): void;
  /** Called once, when the socket has closed; `reason` is what waiting requests were failed with. */
  onClose?(reason: Error, connection: Connection): void;
}

export type ConnectionState = 'handshake' | 'open' | 'draining' | 'closing' | 'closed';

export interface RequestOptions {
  /** Default: the connection's requestTimeoutMs. */
  timeoutMs?: number;
}

const DEFAULT_WRITE_HIGH_WATER_MARK = 1024 * 1024;
let connectionsMade = 0;

export class Connection {
  /** Unique in this process. (The broker's session id is not: it starts again at 1 when the
   *  broker restarts.) */
  readonly id = ++connectionsMade;
  private readonly decoder = new FrameDecoder({ maxBodyBytes: DEFAULT_MAX_FRAME_BYTES });
  private readonly requests = new RequestTable();
  private readonly highWaterMark: number;
  private currentState: ConnectionState = 'handshake';
  private welcomeFrame: Welcome | undefined;
  private goaway: Goaway | undefined;
  /** Why the connection is closing, when it is not a plain end of stream. */
  private failure: Error | undefined;
  private closeReason: Error | undefined;
  private readonly closed: Promise<void>;
  private markClosed!: () => void;
  // frames held back while the socket is over its high-water mark, in send order
  private blocked: Buffer[] = [];
  private blockedBytes = 0;
  private corked = false;
  private framesSentCount = 0;
  private framesReceivedCount = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    private readonly listener: ConnectionListener,
  ) {
    this.highWaterMark = settings.writeHighWaterMark ?? DEFAULT_WRITE_HIGH_WATER_MARK;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.flushBlocked());
    socket.on('error', (err) => {
      this.failure ??= new TransportError('lost', `connection to ${this.address}: ${err.message}`, { cause: err });
    });
    socket.on('close', () => this.onSocketClose());
  }

  /** Connects, sends HELLO and waits for WELCOME. Rejects with TransportError or ProtocolError
   *  (AUTH_FAILED, UNSUPPORTED_VERSION, ...). */
  static async connect(settings: ConnectionSettings, listener: ConnectionListener = {}): Promise<Connection> {
    const deadline = Date.now() + settings.connectTimeoutMs;
    const socket = await openSocket(settings, settings.connectTimeoutMs);
    const conn = new Connection(socket, settings, listener);
    try {
      await conn.handshake(Math.max(1, deadline - Date.now()));
    } catch (err) {
      conn.destroy();
      throw conn.explainHandshakeFailure(err);
    }
    return conn;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** True while new requests are accepted. */
  get isOpen(): boolean {
    return this.currentState === 'open';
  }

  get address(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  /** The broker's WELCOME (throws before the handshake is done). */
  get welcome(): Welcome {
    if (!this.welcomeFrame) throw new Error('the handshake is not complete');
    return this.welcomeFrame;
  }

  /** The broker's limits: stay under them (max frame bytes, messages per DISPATCH, ...). */
  get limits(): ServerLimits {
    return this.welcomeFrame?.limits ?? DEFAULT_LIMITS;
  }

  /** The GOAWAY received, if any. */
  get goawayReceived(): Goaway | undefined {
    return this.goaway;
  }

  get pendingRequests(): number {
    return this.requests.size;
  }

  /** Bytes accepted by request() and not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength + this.blockedBytes;
  }

  /** Of those, the bytes of frames held back until the socket drains. */
  get heldBackBytes(): number {
    return this.blockedBytes;
  }

  get framesSent(): number {
    return this.framesSentCount;
  }

  get framesReceived(): number {
    return this.framesReceivedCount;
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  /**
   * Sends one request and resolves with its decoded reply of opcode `reply`. `encode` builds the
   * whole frame for the request id it is given (the protocol's encodeX functions).
   *   const results = await conn.request(Opcode.DISPATCH_RESULT, (id) => encodeDispatch(id, msgs));
   */
  request<O extends ServerOpcode>(
    reply: O,
    encode: (requestId: number) => Buffer,
    options: RequestOptions = {},
  ): Promise<ServerFrameValues[O]> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    return this.send(reply, encode, options.timeoutMs ?? this.settings.requestTimeoutMs);
  }

  /**
   * Graceful close: no new requests, waits for the replies still due (up to `timeoutMs`), then
   * ends the socket. Requests still waiting then are failed with TransportError 'closed'.
   */
  async close(timeoutMs = this.settings.requestTimeoutMs): Promise<void> {
    if (this.currentState === 'closed') return;
    if (this.currentState !== 'closing') {
      this.currentState = 'closing';
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([this.requests.whenIdle(), this.closed, timedOut]);
      clearTimeout(timer);
      this.failure ??= new TransportError('closed', `connection to ${this.address} closed by the client`);
      this.socket.end();
      // a peer that never closes its side must not hold us: give it a moment, then cut
      const cut = setTimeout(() => this.socket.destroy(), 1000);
      cut.unref();
    }
    await this.closed;
  }

  /** Closes at once; waiting requests fail with `reason` (default: TransportError 'closed'). */
  destroy(reason?: Error): void {
    if (this.currentState === 'closed') return;
    this.fail(reason ?? new TransportError('closed', `connection to ${this.address} closed by the client`));
  }

  // ---- sending ----

  private async handshake(timeoutMs: number): Promise<void> {
    const { clientName, token } = this.settings;
    const welcome = await this.send(
      Opcode.WELCOME,
      (id) => {
        const frame = encodeHello(id, { clientName, authToken: token });
        if (frame.length - FRAME_HEADER_BYTES > MAX_HELLO_BODY_BYTES) {
          // the broker would refuse it as FRAME_TOO_LARGE before authenticating
          throw new ConfigError('token', `HELLO would be ${frame.length - FRAME_HEADER_BYTES} bytes, over the broker's ${MAX_HELLO_BODY_BYTES}`);
        }
        return frame;
      },
      timeoutMs,
    );
    if (welcome.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(ErrorCode.UNSUPPORTED_VERSION, `the broker speaks protocol version ${welcome.version}, not ${PROTOCOL_VERSION}`);
    }
    this.welcomeFrame = welcome;
    // The announced limit is what the broker accepts. Frames it sends are not documented to stay
    // under it (a DELIVER or FAILED_GET carries a whole payload), so never read below the default.
    this.decoder.setMaxBodyBytes(Math.min(HARD_MAX_FRAME_BYTES, Math.max(welcome.limits.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES)));
    if (this.currentState === 'handshake') this.currentState = 'open';
  }

  /** Why a new request cannot be sent now, or undefined. */
  private refusal(): Error | undefined {
    switch (this.currentState) {
      case 'open':
        return undefined;
      case 'handshake':
        return new Error('the handshake is not complete');
      case 'draining':
        return new TransportError('goaway', `${this.address} sent GOAWAY (${this.goaway?.reason ?? ''}): this connection takes no new requests`);
      case 'closing':
        return new TransportError('closed', `connection to ${this.address} is closing`);
      case 'closed':
        return this.closeReason instanceof TransportError
          ? this.closeReason
          : new TransportError('lost', `connection to ${this.address} is closed`, { cause: this.closeReason });
    }
  }

  private send<O extends ServerOpcode>(reply: O, encode: (requestId: number) => Buffer, timeoutMs: number): Promise<ServerFrameValues[O]> {
    const id = this.requests.nextId();
    let frame: Buffer;
    try {
      frame = encode(id);
    } catch (err) {
      return Promise.reject(err);
    }
    const limit = this.limits.maxFrameBytes;
    if (frame.length - FRAME_HEADER_BYTES > limit) {
      // the broker would answer FRAME_TOO_LARGE and close the connection for everyone
      return Promise.reject(
        new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `${opcodeName(frame[4] ?? 0)} of ${frame.length - FRAME_HEADER_BYTES} bytes is over the broker's max_frame_bytes ${limit}`),
      );
    }
    const promise = this.requests.add<ServerFrameValues[O]>(id, reply, timeoutMs);
    this.write(frame);
    return promise;
  }

  private write(frame: Buffer): void {
    this.framesSentCount++;
    if (this.blocked.length > 0 || this.socket.writableLength >= this.highWaterMark) {
      this.blocked.push(frame);
      this.blockedBytes += frame.length;
      return;
    }
    this.writeNow(frame);
  }

  private writeNow(frame: Buffer): void {
    // requests made in one tick leave in one write
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private flushBlocked(): void {
    while (this.blocked.length > 0 && this.socket.writableLength < this.highWaterMark) {
      const frame = this.blocked.shift() as Buffer;
      this.blockedBytes -= frame.length;
      this.writeNow(frame);
    }
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = this.decoder.next();
      } catch (err) {
        this.fail(asProtocolError(err, 'from the broker'));
        return;
      }
      if (!frame || this.socket.destroyed) return; // nothing after a failure can be trusted
      this.framesReceivedCount++;
      this.route(frame);
    }
  }

  private route(raw: Frame): void {
    let frame;
    try {
      frame = decodeServerFrame(raw);
    } catch (err) {
      this.fail(asProtocolError(err, `in ${opcodeName(raw.opcode)} from the broker`));
      return;
    }
    switch (frame.opcode) {
      case Opcode.DELIVER:
        this.listener.onDeliver?.(frame.value, this);
        return;
      case Opcode.GOAWAY:
        this.goaway = frame.value;
        if (this.currentState === 'open' || this.currentState === 'handshake') this.currentState = 'draining';
        this.listener.onGoaway?.(frame.value, this);
        return;
      case Opcode.ERROR:
        if (frame.requestId === 0) {
          this.onConnectionError(new ProtocolError(frame.value.code, frame.value.message, { requestId: 0 }));
          return;
        }
        break;
      default:
        break;
    }
    const expected = this.requests.expected(frame.requestId);
    const outcome = this.requests.settle(frame);
    if (outcome === 'unknown') {
      this.fail(new ProtocolError(ErrorCode.UNEXPECTED_FRAME, `${opcodeName(frame.opcode)} from the broker answers request ${frame.requestId}, which is not waiting`, { requestId: frame.requestId }));
    } else if (outcome === 'mismatch') {
      this.fail(new ProtocolError(ErrorCode.UNEXPECTED_FRAME, `the broker answered request ${frame.requestId} with ${opcodeName(frame.opcode)}, not ${opcodeName(expected ?? 0)}`, { requestId: frame.requestId }));
    } else if (frame.opcode === Opcode.ERROR && closesConnection(frame.value.code)) {
      // the broker closes after this ERROR (§7): the other requests will get no answer
      this.fail(new TransportError('lost', `${this.address} closes the connection after ${new ProtocolError(frame.value.code, '').codeName}: ${frame.value.message}`));
    }
  }

  private onConnectionError(err: ProtocolError): void {
    if (closesConnection(err.code)) {
      this.fail(err);
    } else {
      this.listener.onError?.(err, this);
    }
  }

  // ---- closing ----

  /** Stops everything now: waiting requests fail with `reason`, the socket is destroyed. */
  private fail(reason: Error): void {
    this.failure ??= reason;
    this.requests.rejectAll(this.failure);
    this.socket.destroy();
  }

  private onSocketClose(): void {
    if (this.currentState === 'closed') return;
    const after = this.goaway ? ' after GOAWAY' : '';
    const reason = this.failure ?? new TransportError('lost', `connection closed by ${this.address}${after}`);
    this.currentState = 'closed';
    this.closeReason = reason;
    this.blocked = [];
    this.blockedBytes = 0;
    this.requests.rejectAll(reason);
    this.listener.onClose?.(reason, this);
    this.markClosed();
  }

  /** A plain client on a TLS port is hung up on without a word: say what may be wrong. */
  private explainHandshakeFailure(err: unknown): unknown {
    if (err instanceof TransportError && err.kind === 'lost' && !this.settings.tls) {
      return new TransportError('connect', `${err.message} before WELCOME (if the broker uses TLS, use symphonys:// or tls: true)`, { cause: err });
    }
    if (err instanceof TransportError && err.kind !== 'connect') {
      return new TransportError('connect', `${err.message} before WELCOME`, { cause: err });
    }
    return err;
  }
}

function asProtocolError(err: unknown, where: string): ProtocolError {
  if (err instanceof ProtocolError) {
    return new ProtocolError(err.code, `${err.message} (${where})`, { requestId: err.requestId, cause: err });
  }
  return new ProtocolError(ErrorCode.MALFORMED_FRAME, `cannot decode a frame ${where}: ${String(err)}`, { cause: err });
}
