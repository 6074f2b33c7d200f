// A scripted broker on node:net for tests of what a real one will not do on demand: malformed
// frames, replies cut at every byte, replies out of order, silence. It answers HELLO with WELCOME
// (limits configurable) and hands every other frame to the test's handler.
import { createServer, type Server, type Socket } from 'node:net';
import {
  DEFAULT_LIMITS,
  FrameDecoder,
  Opcode,
  encodeWelcome,
  type Frame,
  type ServerLimits,
} from '../../src/index.js';

export interface FakeBrokerOptions {
  limits?: Partial<ServerLimits>;
  /** Write every byte of every frame in its own write, a tick apart. */
  splitBytes?: boolean;
  /** Answer HELLO with WELCOME (default true). */
  welcome?: boolean;
}

export type FakeHandler = (frame: Frame, session: FakeSession) => void;

export class FakeSession {
  readonly frames: Frame[] = [];
  hello: Frame | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly decoder = new FrameDecoder({ maxBodyBytes: 64 * 1024 * 1024 });

  constructor(
    readonly socket: Socket,
    readonly index: number,
    private readonly splitBytes: boolean,
  ) {}

  /** Writes bytes (in order, even when split). */
  send(bytes: Buffer): Promise<void> {
    if (!this.splitBytes) {
      this.socket.write(bytes);
      return Promise.resolve();
    }
    this.chain = this.chain.then(async () => {
      for (let i = 0; i < bytes.length; i++) {
        if (this.socket.destroyed) return;
        this.socket.write(bytes.subarray(i, i + 1));
        await new Promise((r) => setImmediate(r));
      }
    });
    return this.chain;
  }

  /** Frames decoded from a received chunk. */
  feed(chunk: Buffer): Frame[] {
    return [...this.decoder.feed(chunk)];
  }
}

export class FakeBroker {
  readonly sessions: FakeSession[] = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(handler: FakeHandler, options: FakeBrokerOptions = {}): Promise<FakeBroker> {
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
    let broker!: FakeBroker;
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      const session = new FakeSession(socket, broker.sessions.length, options.splitBytes ?? false);
      broker.sessions.push(session);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = session.feed(chunk);
        } catch {
          socket.destroy();
          return;
        }
        for (const frame of frames) {
          if (frame.opcode === Opcode.HELLO && options.welcome !== false) {
            session.hello = frame;
            void session.send(
              encodeWelcome(frame.requestId, { version: 1, serverName: 'fake', sessionId: BigInt(session.index + 1), limits }),
            );
            continue;
          }
          session.frames.push(frame);
          handler(frame, session);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    broker = new FakeBroker(server, address.port);
    return broker;
  }

  get url(): string {
    return `symphony://127.0.0.1:${this.port}`;
  }

  /** Every frame received after HELLO, over all sessions. */
  get frames(): Frame[] {
    return this.sessions.flatMap((s) => s.frames);
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
