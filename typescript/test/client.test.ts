// SymphonyClient against a scripted broker: how dispatches are coalesced into frames (max_batch,
// max_frame_bytes, frames in flight), resent with the same keys after a lost connection,
// matched to per-message results, and how a subscription survives a reconnect. The real broker's
// side of the same behaviour is in test/integration/.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  DispatchError,
  ErrorCode,
  Opcode,
  ProtocolError,
  SymphonyClient,
  TransportError,
  decodeDispatch,
  decodeSubscribe,
  encodeCreditOk,
  encodeDeliver,
  encodeDispatchResult,
  encodeError,
  encodeGoaway,
  encodeSubscribed,
  prepareMessage,
  type ClientOptions,
  type DispatchMessage,
  type DispatchResult,
  type Frame,
} from '../src/index.js';
import { FakeBroker, type FakeBrokerOptions, type FakeHandler, type FakeSession } from './support/fake-broker.js';

const T = { timeout: 15_000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Answers DISPATCH like a broker: id = 1000 + the message's `n` payload field. */
function resultsFor(messages: DispatchMessage[]): DispatchResult[] {
  return messages.map((m, index) => {
    const n = (JSON.parse(m.payload.toString()) as { n?: number }).n ?? index;
    return { index, code: 0, messageId: BigInt(1000 + n), queue: m.queue || 'default', duplicate: false, status: 0, errorMessage: '' };
  });
}

const answerDispatch: FakeHandler = (frame, session) => {
  if (frame.opcode === Opcode.DISPATCH) void session.send(encodeDispatchResult(frame.requestId, resultsFor(decodeDispatch(frame.body))));
};

function dispatchFrames(frames: Frame[]): DispatchMessage[][] {
  return frames.filter((f) => f.opcode === Opcode.DISPATCH).map((f) => decodeDispatch(f.body));
}

const msg = (n: number): { type: string; payload: { n: number } } => ({ type: 'Job', payload: { n } });

describe('SymphonyClient (scripted broker)', () => {
  let fake: FakeBroker | undefined;
  let client: SymphonyClient | undefined;
  afterEach(async () => {
    await client?.close({ timeoutMs: 200 });
    await fake?.close();
    client = undefined;
    fake = undefined;
  });

  async function start(handler: FakeHandler, options: FakeBrokerOptions = {}, clientOptions: ClientOptions = {}): Promise<SymphonyClient> {
    fake = await FakeBroker.start(handler, options);
    client = await SymphonyClient.connect({ url: fake.url, env: {}, reconnectDelayMs: 10, ...clientOptions });
    return client;
  }

  it('coalesces concurrent dispatches into one frame and matches results by index', T, async () => {
    const c = await start(answerDispatch);
    const receipts = await Promise.all(Array.from({ length: 2000 }, (_, n) => c.dispatch(msg(n))));
    assert.deepEqual(receipts.map((r) => r.id), Array.from({ length: 2000 }, (_, n) => BigInt(1000 + n)));
    assert.equal(c.counters.dispatchFrames, 1);
    const [frame] = dispatchFrames(fake?.frames ?? []);
    assert.equal(frame?.length, 2000);
    for (const m of frame ?? []) assert.match(m.idempotencyKey, UUID, 'every message gets a random key');
    assert.equal(new Set(frame?.map((m) => m.idempotencyKey)).size, 2000);
  });

  it('calls made after awaits within the same tick still share a frame', T, async () => {
    const c = await start(answerDispatch);
    await Promise.all(Array.from({ length: 50 }, async (_, n) => {
      await Promise.resolve();
      await Promise.resolve();
      return c.dispatch(msg(n));
    }));
    assert.equal(c.counters.dispatchFrames, 1);
  });

  it('splits by the broker max_batch', T, async () => {
    const c = await start(answerDispatch, { limits: { maxBatch: 64 } });
    const receipts = await Promise.all(Array.from({ length: 1000 }, (_, n) => c.dispatch(msg(n))));
    assert.equal(new Set(receipts.map((r) => r.id)).size, 1000);
    const frames = dispatchFrames(fake?.frames ?? []);
    assert.equal(frames.length, Math.ceil(1000 / 64));
    assert.ok(frames.every((f) => f.length <= 64));
  });

  it('splits by the broker max_frame_bytes, and refuses alone a message no frame can carry', T, async () => {
    const c = await start(answerDispatch, { limits: { maxFrameBytes: 4096 } });
    const pad = 'x'.repeat(900);
    const ok = Array.from({ length: 20 }, (_, n) => c.dispatch({ type: 'Job', payload: { n, pad } }));
    const huge = c.dispatch({ type: 'Job', payload: { pad: 'y'.repeat(5000) } });
    await assert.rejects(huge, (e: unknown) => e instanceof ProtocolError && e.codeName === 'MESSAGE_TOO_LARGE');
    assert.equal((await Promise.all(ok)).length, 20);
    for (const f of fake?.frames ?? []) assert.ok(f.body.length <= 4096, `frame body ${f.body.length}`);
    assert.ok(c.counters.dispatchFrames >= 5);
  });

  it('keeps at most maxDispatchFramesInFlight frames outstanding', T, async () => {
    const held: Array<() => void> = [];
    const c = await start(
      (frame, session) => {
        if (frame.opcode !== Opcode.DISPATCH) return;
        held.push(() => void session.send(encodeDispatchResult(frame.requestId, resultsFor(decodeDispatch(frame.body)))));
      },
      { limits: { maxBatch: 10 } },
      { maxDispatchFramesInFlight: 2 },
    );
    const all = Promise.all(Array.from({ length: 100 }, (_, n) => c.dispatch(msg(n))));
    let maxSeen = 0;
    for (let answered = 0; answered < 10; ) {
      await new Promise((r) => setTimeout(r, 5));
      const outstanding = (fake?.frames.length ?? 0) - answered;
      maxSeen = Math.max(maxSeen, outstanding);
      const release = held.shift();
      if (release) {
        release();
        answered++;
      }
    }
    assert.equal((await all).length, 100);
    assert.equal(maxSeen, 2);
  });

  it('a per-message error rejects that call alone; a fan-out lists every envelope', T, async () => {
    const c = await start((frame, session) => {
      const messages = decodeDispatch(frame.body);
      const results = resultsFor(messages).flatMap((r, i) => {
        if (messages[i]?.type === 'Bad') return [{ ...r, code: ErrorCode.INVALID_QUEUE_NAME, messageId: 0n, errorMessage: 'queue: no' }];
        if (messages[i]?.type === 'Fan') return [r, { ...r, messageId: r.messageId + 1n, queue: 'second' }];
        return [r];
      });
      void session.send(encodeDispatchResult(frame.requestId, results.reverse()));
    });
    const [a, b, f] = await c.dispatchBatch([msg(1), { type: 'Bad', payload: {} }, { message: { type: 'Fan', payload: { n: 5 } }, options: { queue: 'first' } }]);
    assert.equal(a?.status, 'fulfilled');
    assert.equal(b?.status, 'rejected');
    const err = (b as PromiseRejectedResult).reason as DispatchError;
    assert.ok(err instanceof DispatchError && err instanceof ProtocolError);
    assert.equal(err.codeName, 'INVALID_QUEUE_NAME');
    assert.equal(err.message, 'queue: no');
    assert.equal(f?.status, 'fulfilled');
    const fan = (f as PromiseFulfilledResult<{ envelopes: { queue: string }[]; queue: string }>).value;
    assert.deepEqual(fan.envelopes.map((e) => e.queue).sort(), ['first', 'second']);
    assert.equal(c.counters.dispatchFrames, 1);
  });

  it('an ERROR for the whole DISPATCH rejects the messages of that frame', T, async () => {
    const c = await start((frame, session) => void session.send(encodeError(frame.requestId, ErrorCode.BATCH_TOO_LARGE, 'too many')));
    const results = await Promise.allSettled([c.dispatch(msg(1)), c.dispatch(msg(2))]);
    for (const r of results) assert.equal(((r as PromiseRejectedResult).reason as ProtocolError).codeName, 'BATCH_TOO_LARGE');
  });

  it('what the wire cannot carry is refused locally, without spoiling the batch', T, async () => {
    const c = await start(answerDispatch);
    const calls = [
      c.dispatch(msg(1)),
      c.dispatch(msg(2), { priority: 300 }),
      c.dispatch({ type: 'Job', payload: undefined }),
      c.dispatch({ type: 'Job', payload: { big: 1n } }),
      c.dispatch(msg(3), { delayMs: 10, scheduledAt: new Date() }),
      c.dispatch(msg(4), { delayMs: 1.5 }),
      c.dispatch({ type: '', payload: {} }),
      c.dispatch(msg(5)),
    ];
    const codes = (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as ProtocolError).codeName));
    assert.deepEqual(codes, ['ok', 'PRIORITY_OUT_OF_RANGE', 'INVALID_PAYLOAD', 'INVALID_PAYLOAD', 'INVALID_SCHEDULE', 'INVALID_SCHEDULE', 'EMPTY_TYPE', 'ok']);
    assert.equal(c.counters.dispatchFrames, 1);
  });

  it('maps options to the wire: queue, priority, delay, schedule, key, headers, metadata', () => {
    const at = new Date('2030-01-02T03:04:05.678Z');
    const p = prepareMessage(
      { type: 'Email', payload: { to: 'a@b.c' }, metadata: { a: 1, b: 1 }, headers: { trace: 't1' } },
      { queue: 'email', priority: 7, scheduledAt: at, idempotencyKey: 'k-1', headers: [['x', 'y']], metadata: { b: 2 } },
    );
    assert.equal(p.wire.queue, 'email');
    assert.equal(p.wire.priority, 7);
    assert.equal(p.wire.when, 2);
    assert.equal(p.wire.whenValue, at.getTime());
    assert.equal(p.wire.idempotencyKey, 'k-1');
    assert.deepEqual(p.wire.headers, [['trace', 't1'], ['x', 'y']]);
    assert.equal(p.wire.metadata.toString(), '{"a":1,"b":2}');
    assert.equal(p.wire.payload.toString(), '{"to":"a@b.c"}');
    const d = prepareMessage({ type: 'T', payload: {} }, { delayMs: 250 }, false);
    assert.deepEqual([d.wire.when, d.wire.whenValue, d.wire.idempotencyKey], [1, 250, '']);
  });

  it('resends unconfirmed dispatches with the same keys after a lost connection', T, async () => {
    const c = await start(
      (frame, session) => {
        if (session.index === 0) session.socket.destroy(); // lost before any reply
        else answerDispatch(frame, session);
      },
      {},
      { reconnectAttempts: 3 },
    );
    const receipts = await Promise.all(Array.from({ length: 300 }, (_, n) => c.dispatch(msg(n), n === 7 ? { idempotencyKey: 'mine' } : {})));
    assert.equal(receipts.length, 300);
    const [first, second] = (fake?.sessions ?? []).map((s) => dispatchFrames(s.frames).flat().map((m) => m.idempotencyKey));
    assert.deepEqual(second, first, 'the same keys, in the same order');
    assert.equal(first?.[7], 'mine');
    assert.equal(receipts[7]?.idempotencyKey, 'mine');
    assert.equal(c.counters.resentMessages, 300);
    assert.equal(c.counters.reconnects, 1);
  });

  it('gives up after reconnectAttempts and fails the waiting calls with a TransportError', T, async () => {
    let sessions = 0;
    const c = await start(
      (frame, session) => {
        sessions++;
        session.socket.destroy();
      },
      {},
      { reconnectAttempts: 2 },
    );
    await fake?.close(); // and nobody listens any more
    fake = undefined;
    const err = await c.dispatch(msg(1)).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TransportError, String(err));
    assert.ok(err.reconnectable);
    assert.ok(c.counters.failedAttempts >= 3, `attempts: ${c.counters.failedAttempts}`);
    void sessions;
  });

  it('a malformed DISPATCH_RESULT rejects with a ProtocolError, not a hang', T, async () => {
    const c = await start(
      (frame, session) => {
        // count 1, then nothing: truncated
        const bad = encodeDispatchResult(frame.requestId, []);
        bad.writeUInt32LE(1, 12);
        void session.send(bad);
      },
      {},
      { reconnectAttempts: 0 },
    );
    const results = await Promise.allSettled([c.dispatch(msg(1)), c.dispatch(msg(2))]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof ProtocolError);
      assert.equal(((r as PromiseRejectedResult).reason as ProtocolError).codeName, 'MALFORMED_FRAME');
    }
  });

  it('after GOAWAY new dispatches go to a new connection; the outstanding one is answered', T, async () => {
    const c = await start((frame, session) => {
      answerDispatch(frame, session);
      if (session.index === 0) {
        void session.send(encodeGoaway(ErrorCode.SHUTTING_DOWN, 'stopping'));
        setTimeout(() => session.socket.end(), 50);
      }
    });
    const first = await c.dispatch(msg(1));
    assert.equal(first.id, 1001n);
    const second = await c.dispatch(msg(2));
    assert.equal(second.id, 1002n);
    assert.equal(fake?.sessions.length, 2);
    assert.equal(dispatchFrames(fake?.sessions[1]?.frames ?? []).length, 1);
    assert.equal(c.counters.goaways, 1);
  });

  it('subscribes again after a reconnect and hands deliveries to the iterator', T, async () => {
    const subscribes: Array<{ session: number; queues: string[]; prefetch: number; leaseMs: number }> = [];
    let first: FakeSession | undefined;
    const c = await start((frame, session) => {
      if (frame.opcode !== Opcode.SUBSCRIBE) return;
      const s = decodeSubscribe(frame.body);
      subscribes.push({ session: session.index, ...s });
      void session.send(encodeSubscribed(frame.requestId, { prefetch: s.prefetch, leaseMs: s.leaseMs }));
      const delivery = { messageId: BigInt(10 + session.index), attempt: session.index + 1, priority: 5, queue: 'q1', createdAtMs: 1000, leaseDeadlineMs: 2000, type: 'Job', headers: [['message-type', 'Job']] as const, metadata: '{"m":true}', payload: '{"n":1}' };
      void session.send(encodeDeliver([delivery]));
      if (session.index === 0) first = session;
    });
    await c.subscribe(['q1', 'q2'], 4, 5000);
    const it = c.deliveries();
    const d1 = (await it.next()).value;
    assert.equal(d1.id, 10n);
    assert.deepEqual(d1.payload, { n: 1 });
    assert.deepEqual(d1.metadata, { m: true });
    assert.equal(d1.headers['message-type'], 'Job');
    assert.equal(d1.createdAt.getTime(), 1000);
    assert.equal(d1.leaseDeadline.getTime(), 2000);
    first?.socket.destroy();
    const d2 = (await it.next()).value;
    assert.equal(d2.id, 11n);
    assert.equal(d2.attempt, 2);
    assert.deepEqual(subscribes, [
      { session: 0, queues: ['q1', 'q2'], prefetch: 4, leaseMs: 5000 },
      { session: 1, queues: ['q1', 'q2'], prefetch: 4, leaseMs: 5000 },
    ]);
    assert.equal(c.counters.deliveries, 2);
  });

  it('a consumer paused with CREDIT 0 stays paused after a reconnect', T, async () => {
    const seen: string[] = [];
    const c = await start((frame, session) => {
      if (frame.opcode === Opcode.SUBSCRIBE) {
        const s = decodeSubscribe(frame.body);
        seen.push(`${session.index}: SUBSCRIBE ${s.queues.join(',')} prefetch ${s.prefetch}`);
        void session.send(encodeSubscribed(frame.requestId, { prefetch: s.prefetch || 10, leaseMs: s.leaseMs || 30000 }));
      } else if (frame.opcode === Opcode.CREDIT) {
        const prefetch = frame.body.readUInt32LE(0);
        seen.push(`${session.index}: CREDIT ${prefetch}`);
        void session.send(encodeCreditOk(frame.requestId, { prefetch, inFlight: 0 }));
        if (session.index === 0 && prefetch === 0) setTimeout(() => session.socket.destroy(), 20); // after the reply
      }
    });
    await c.subscribe('q', 8);
    await c.credit(0); // the connection drops right after the reply
    const deadline = Date.now() + 5000;
    while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['0: SUBSCRIBE q prefetch 8', '0: CREDIT 0', '1: SUBSCRIBE q prefetch 8', '1: CREDIT 0']);
  });
});
