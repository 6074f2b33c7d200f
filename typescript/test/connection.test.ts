// Connection against a scripted broker: pipelining and out-of-order replies, replies cut at every
// byte, ERROR replies, broken streams (malformed body, unknown opcode, oversized header, stray
// reply), connection-level ERROR, GOAWAY, lost sockets, timeouts and write backpressure.
// Every case must end in a settled promise, never a hang: each test has a time bound.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import {
  Connection,
  ErrorCode,
  FRAME_HEADER_BYTES,
  Opcode,
  ProtocolError,
  TransportError,
  decodeHello,
  decodePing,
  encodeDeliver,
  encodeDispatch,
  encodeError,
  encodeGoaway,
  encodePing,
  encodePong,
  type ConnectionListener,
  type ConnectionSettings,
  type Delivery,
} from '../src/index.js';
import { FakeBroker, type FakeHandler, type FakeBrokerOptions } from './support/fake-broker.js';

const T = { timeout: 10_000 };

function settings(port: number, extra: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    host: '127.0.0.1',
    port,
    tls: false,
    tlsOptions: {},
    token: 'tok',
    clientName: 'conn-test',
    connectTimeoutMs: 3000,
    requestTimeoutMs: 3000,
    ...extra,
  };
}

/** A handler answering PING with PONG. */
const pong: FakeHandler = (frame, session) => {
  if (frame.opcode === Opcode.PING) {
    void session.send(encodePong(frame.requestId, { nonce: decodePing(frame.body), serverTimeMs: 1 }));
  }
};

function ping(conn: Connection, nonce: bigint, timeoutMs?: number): Promise<bigint> {
  return conn.request(Opcode.PONG, (id) => encodePing(id, nonce), timeoutMs === undefined ? {} : { timeoutMs }).then((p) => p.nonce);
}

/** Raw frame bytes (for headers the encoders refuse to make). */
function rawFrame(opcode: number, requestId: number, body: Buffer, bodyLength = body.length): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h.writeUInt32LE(bodyLength, 0);
  h.writeUInt8(opcode, 4);
  h.writeUInt32LE(requestId, 8);
  return Buffer.concat([h, body]);
}

async function expectProtocolError(p: Promise<unknown>, code: number): Promise<ProtocolError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

async function expectTransportError(p: Promise<unknown>, kind: TransportError['kind']): Promise<TransportError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TransportError, `expected a TransportError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  return err;
}

describe('Connection', () => {
  let fake: FakeBroker | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.destroy();
    await fake?.close();
    conn = undefined;
    fake = undefined;
  });

  async function open(handler: FakeHandler, options: FakeBrokerOptions = {}, listener: ConnectionListener = {}, extra: Partial<ConnectionSettings> = {}): Promise<Connection> {
    fake = await FakeBroker.start(handler, options);
    conn = await Connection.connect(settings(fake.port, extra), listener);
    return conn;
  }

  it('sends HELLO with the token and name, and keeps the WELCOME limits', T, async () => {
    const c = await open(() => undefined, { limits: { maxBatch: 7, maxFrameBytes: 2 * 1024 * 1024 } });
    const hello = fake?.sessions[0]?.hello;
    assert.ok(hello);
    assert.deepEqual(decodeHello(hello.body), { version: 1, clientName: 'conn-test', authToken: 'tok' });
    assert.equal(c.state, 'open');
    assert.equal(c.welcome.serverName, 'fake');
    assert.equal(c.limits.maxBatch, 7);
    assert.equal(c.limits.maxFrameBytes, 2 * 1024 * 1024);
  });

  it('refuses a frame over the broker max_frame_bytes before sending it', T, async () => {
    const c = await open(pong, { limits: { maxFrameBytes: 1024 } });
    const big = { type: 'T', payload: Buffer.alloc(2000, 0x20) };
    await expectProtocolError(c.request(Opcode.DISPATCH_RESULT, (id) => encodeDispatch(id, [big])), ErrorCode.FRAME_TOO_LARGE);
    assert.equal(fake?.frames.length, 0, 'nothing was sent');
    assert.equal(await ping(c, 5n), 5n, 'the connection is still usable');
  });

  it('fails the handshake with the broker ERROR (AUTH_FAILED)', T, async () => {
    fake = await FakeBroker.start(
      (frame, session) => {
        if (frame.opcode !== Opcode.HELLO) return;
        assert.equal(decodeHello(frame.body).authToken, 'tok');
        void session.send(encodeError(frame.requestId, ErrorCode.AUTH_FAILED, 'the auth token is not valid'));
        session.socket.end();
      },
      { welcome: false },
    );
    await expectProtocolError(Connection.connect(settings(fake.port)), ErrorCode.AUTH_FAILED);
  });

  it('matches pipelined replies that come in reverse order', T, async () => {
    const held: Array<() => void> = [];
    const c = await open((frame, session) => {
      held.push(() => void session.send(encodePong(frame.requestId, { nonce: decodePing(frame.body), serverTimeMs: 1 })));
      if (held.length === 3) for (const send of held.reverse()) send();
    });
    assert.deepEqual(await Promise.all([ping(c, 1n), ping(c, 2n), ping(c, 3n)]), [1n, 2n, 3n]);
  });

  it('works when the broker writes every byte separately (replies and a DELIVER push)', T, async () => {
    const received: Delivery[] = [];
    const c = await open(
      (frame, session) => {
        pong(frame, session);
        if (frame.opcode === Opcode.PING) {
          void session.send(
            encodeDeliver([
              { messageId: 42n, attempt: 1, priority: 7, queue: 'q', createdAtMs: 1, leaseDeadlineMs: 2, type: 'T', headers: [['k', 'v']], metadata: '', payload: '{"a":1}' },
            ]),
          );
        }
      },
      { splitBytes: true },
      { onDeliver: (d) => received.push(...d) },
    );
    assert.equal(c.welcome.sessionId, 1n, 'WELCOME arrived byte by byte');
    assert.deepEqual(await Promise.all([ping(c, 10n), ping(c, 11n)]), [10n, 11n]);
    const deadline = Date.now() + 5000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(received.length, 2);
    assert.equal(received[0]?.messageId, 42n);
    assert.equal(received[0]?.payload.toString(), '{"a":1}');
  });

  it('rejects only the request an ERROR answers', T, async () => {
    const c = await open((frame, session) => {
      if (decodePing(frame.body) === 1n) void session.send(encodeError(frame.requestId, ErrorCode.INVALID_ARGUMENT, 'nope'));
      else pong(frame, session);
    });
    const [bad, good] = await Promise.allSettled([ping(c, 1n), ping(c, 2n)]);
    assert.equal(bad.status, 'rejected');
    const err = (bad as PromiseRejectedResult).reason as ProtocolError;
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.equal(err.message, 'nope');
    assert.deepEqual(good, { status: 'fulfilled', value: 2n });
    assert.equal(c.state, 'open');
  });

  describe('a broken stream from the broker is a ProtocolError that closes the connection', () => {
    async function broken(reply: (requestId: number) => Buffer, code: number): Promise<void> {
      let closedWith: Error | undefined;
      const c = await open(
        (frame, session) => {
          if (decodePing(frame.body) === 1n) void session.send(reply(frame.requestId));
        },
        {},
        { onClose: (reason) => (closedWith = reason) },
      );
      const other = ping(c, 2n); // waits, and must not wait forever
      const err = await expectProtocolError(ping(c, 1n), code);
      const otherErr = await expectProtocolError(other, code);
      assert.equal(otherErr, err, 'every waiting request gets the same error');
      await c.whenClosed();
      assert.equal(c.state, 'closed');
      assert.equal(closedWith, err);
      await expectTransportError(ping(c, 3n), 'lost');
    }

    it('a truncated body (PONG of 3 bytes)', T, () => broken((id) => rawFrame(Opcode.PONG, id, Buffer.from([1, 2, 3])), ErrorCode.MALFORMED_FRAME));
    it('a body with bytes left over', T, () =>
      broken((id) => rawFrame(Opcode.PONG, id, Buffer.alloc(17)), ErrorCode.MALFORMED_FRAME));
    it('an unknown opcode', T, () => broken((id) => rawFrame(0x99, id, Buffer.alloc(0)), ErrorCode.UNKNOWN_OPCODE));
    it('a request opcode sent by the server', T, () => broken((id) => rawFrame(Opcode.PING, id, Buffer.alloc(8)), ErrorCode.UNEXPECTED_FRAME));
    it('a header announcing 100 MiB (refused without waiting for the body)', T, () =>
      broken((id) => rawFrame(Opcode.PONG, id, Buffer.alloc(0), 100 * 1024 * 1024), ErrorCode.FRAME_TOO_LARGE));
    it('a reply to a request nobody sent', T, () =>
      broken(() => encodePong(999, { nonce: 1n, serverTimeMs: 0 }), ErrorCode.UNEXPECTED_FRAME));
    it('a reply of the wrong type', T, () =>
      broken((id) => encodeDispatch(id, []).fill(0x90, 4, 5), ErrorCode.UNEXPECTED_FRAME));
    it('a connection-level ERROR (request id 0)', T, () =>
      broken(() => encodeError(0, ErrorCode.MALFORMED_FRAME, 'bad header'), ErrorCode.MALFORMED_FRAME));
  });

  it('a connection-level ERROR that does not close goes to the listener', T, async () => {
    const errors: ProtocolError[] = [];
    const c = await open(
      (frame, session) => {
        void session.send(encodeError(0, ErrorCode.STORAGE_ERROR, 'disk hiccup'));
        pong(frame, session);
      },
      {},
      { onError: (e) => errors.push(e) },
    );
    assert.equal(await ping(c, 1n), 1n);
    assert.equal(errors[0]?.codeName, 'STORAGE_ERROR');
    assert.equal(c.state, 'open');
  });

  it('GOAWAY: no new requests, the outstanding one is still answered, then the close', T, async () => {
    const events: string[] = [];
    let release: (() => void) | undefined;
    const c = await open(
      (frame, session) => {
        if (decodePing(frame.body) !== 1n) return;
        void session.send(encodeGoaway(ErrorCode.SHUTTING_DOWN, 'bye'));
        release = () => {
          pong(frame, session);
          session.socket.end();
        };
      },
      {},
      { onGoaway: (g) => events.push(`goaway ${g.reason}`), onClose: (r) => events.push(`close ${(r as TransportError).kind}`) },
    );
    const first = ping(c, 1n);
    while (c.state !== 'draining') await new Promise((r) => setTimeout(r, 5));
    const refused = await expectTransportError(ping(c, 2n), 'goaway');
    assert.ok(refused.reconnectable);
    release?.();
    assert.equal(await first, 1n);
    await c.whenClosed();
    assert.deepEqual(events, ['goaway bye', 'close lost']);
    assert.equal(fake?.frames.length, 1, 'the refused request was never sent');
  });

  it('a lost socket rejects every waiting request with TransportError lost', T, async () => {
    const c = await open((frame, session) => {
      if (decodePing(frame.body) === 3n) session.socket.destroy();
    });
    const results = await Promise.allSettled([ping(c, 1n), ping(c, 2n), ping(c, 3n)]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof TransportError);
      assert.equal(((r as PromiseRejectedResult).reason as TransportError).kind, 'lost');
    }
  });

  it('a request times out; its late reply is dropped and the connection carries on', T, async () => {
    let late: (() => void) | undefined;
    const c = await open((frame, session) => {
      if (decodePing(frame.body) === 1n) late = () => pong(frame, session);
      else pong(frame, session);
    });
    await expectTransportError(ping(c, 1n, 100), 'timeout');
    late?.();
    assert.equal(await ping(c, 2n), 2n);
    assert.equal(c.state, 'open');
  });

  it('graceful close waits for the replies still due', T, async () => {
    let release: (() => void) | undefined;
    const c = await open((frame, session) => (release = () => pong(frame, session)));
    const pending = ping(c, 7n);
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const closing = c.close();
    await expectTransportError(ping(c, 8n), 'closed');
    release();
    assert.equal(await pending, 7n);
    await closing;
    assert.equal(c.state, 'closed');
  });

  it('cannot connect: TransportError connect', T, async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    await expectTransportError(Connection.connect(settings(port)), 'connect');
  });

  it('a broker that never sends WELCOME: the connect times out', T, async () => {
    fake = await FakeBroker.start(() => undefined, { welcome: false });
    await expectTransportError(Connection.connect(settings(fake.port, { connectTimeoutMs: 200 })), 'connect');
  });

  it('holds frames back while the socket is over its high-water mark', T, async () => {
    const c = await open(() => undefined, {}, {}, { writeHighWaterMark: 64 * 1024 });
    const session = fake?.sessions[0];
    assert.ok(session);
    session.socket.pause(); // the broker stops reading: the kernel buffers fill up
    const payload = Buffer.alloc(256 * 1024, 0x20);
    const requests = Array.from({ length: 64 }, () =>
      c.request(Opcode.DISPATCH_RESULT, (id) => encodeDispatch(id, [{ type: 'T', payload }]), { timeoutMs: 8000 }).catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 100));
    const total = 64 * (payload.length + 50);
    assert.ok(c.bufferedBytes > total / 2, `most bytes wait in the client (${c.bufferedBytes})`);
    assert.ok(c.heldBackBytes > 0, 'frames are held back, not all pushed into the socket');
    session.socket.resume();
    const deadline = Date.now() + 5000;
    while (c.bufferedBytes > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(c.bufferedBytes, 0, 'everything was written once the broker read again');
    c.destroy();
    await Promise.all(requests);
  });
});
