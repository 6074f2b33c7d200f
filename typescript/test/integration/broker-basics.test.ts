// Against the real broker: handshake and limits, auth, produce/consume/ack, priority order,
// delayed and scheduled delivery, idempotency, 10 000 coalesced dispatches, per-message errors,
// ERROR replies to bad requests, and the admin requests.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import {
  Connection,
  DEFAULT_LIMITS,
  DispatchError,
  ProtocolError,
  SymphonyClient,
  resolveConnectionConfig,
  type ClientOptions,
} from '../../src/index.js';
import { Broker } from '../support/broker.js';
import { Inbox } from '../support/receive.js';

const T = { timeout: 30_000 };

describe('symphonyd: basics', () => {
  let broker: Broker;
  let producer: SymphonyClient;
  const clients: SymphonyClient[] = [];

  async function client(options: ClientOptions = {}): Promise<SymphonyClient> {
    const c = await SymphonyClient.connect({ url: broker.url, env: {}, clientName: 'ts-integration', ...options });
    clients.push(c);
    return c;
  }

  before(async () => {
    broker = await Broker.start();
    producer = await client();
  });
  after(async () => {
    for (const c of clients) await c.close({ timeoutMs: 1000 });
    await broker?.dispose();
  });

  it('HELLO/WELCOME: version 1, the server name, a session id and the default limits', T, async () => {
    const conn = await Connection.connect(resolveConnectionConfig({ url: broker.url, clientName: 'handshake-test' }, {}));
    try {
      assert.equal(conn.welcome.version, 1);
      assert.match(conn.welcome.serverName, /^symphonyd\//);
      assert.ok(conn.welcome.sessionId > 0n);
      assert.deepEqual(conn.limits, DEFAULT_LIMITS);
      assert.notEqual(conn.welcome.sessionId, producer.welcome?.sessionId, 'one session per connection');
    } finally {
      await conn.close();
    }
    assert.equal(conn.state, 'closed');
  });

  it('dispatch -> subscribe -> receive -> ack', T, async () => {
    const receipt = await producer.dispatch(
      { type: 'EmailMessage', payload: { to: 'a@b.c' }, metadata: { source: 'test' }, headers: { trace: 't1' } },
      { queue: 'basic', priority: 7 },
    );
    assert.equal(receipt.queue, 'basic');
    assert.equal(receipt.duplicate, false);
    assert.equal(receipt.status, 'pending');
    const consumer = await client();
    const sub = await consumer.subscribe(['basic'], 5, 10_000);
    assert.deepEqual(sub, { prefetch: 5, leaseMs: 10_000 });
    let got;
    for await (const d of consumer.deliveries()) {
      got = d;
      break;
    }
    assert.ok(got);
    assert.equal(got.id, receipt.id);
    assert.equal(got.attempt, 1);
    assert.equal(got.priority, 7);
    assert.equal(got.type, 'EmailMessage');
    assert.deepEqual(got.payload, { to: 'a@b.c' });
    assert.deepEqual(got.metadata, { source: 'test' });
    assert.equal(got.headers['message-id'], String(receipt.id));
    assert.equal(got.headers['trace'], 't1');
    assert.ok(got.leaseDeadline.getTime() > Date.now());
    assert.deepEqual(await consumer.ack(got.id, { confirm: true }), { acked: 1, failures: [] });
    const [status] = await producer.messageStatus([receipt.id]);
    assert.equal(status?.status, 2, 'completed');
  });

  it('delivers the highest priority first', T, async () => {
    const order = [3, 10, 1, 7, 5, 9, 2, 8, 4, 6];
    await Promise.all(order.map((priority) => producer.dispatch({ type: 'Job', payload: { priority } }, { queue: 'prio', priority })));
    const consumer = await client();
    const inbox = new Inbox(consumer);
    await consumer.subscribe('prio', 10);
    const got = await inbox.take(10);
    assert.deepEqual(got.map((d) => d.priority), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert.deepEqual(got.map((d) => (d.payload as { priority: number }).priority), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    await consumer.ack(got.map((d) => d.id));
  });

  it('delayMs and scheduledAt: not delivered before their time', T, async () => {
    const consumer = await client();
    const inbox = new Inbox(consumer);
    await consumer.subscribe('later', 10);
    const t0 = Date.now();
    const [delayed, scheduled] = await Promise.all([
      producer.dispatch({ type: 'Job', payload: { kind: 'delay' } }, { queue: 'later', delayMs: 600 }),
      producer.dispatch({ type: 'Job', payload: { kind: 'at' } }, { queue: 'later', scheduledAt: new Date(t0 + 900) }),
    ]);
    const [stats] = await producer.stats('later');
    assert.equal(stats?.delayed, 2n);
    const got = await inbox.take(2, 5000);
    assert.deepEqual(got.map((d) => d.id), [delayed.id, scheduled.id]);
    const first = got[0];
    const second = got[1];
    assert.ok(first && second);
    assert.ok(inbox.arrivedAt(first) - t0 >= 600, `delayMs 600 arrived after ${inbox.arrivedAt(first) - t0} ms`);
    assert.ok(inbox.arrivedAt(second) >= t0 + 900, `scheduledAt +900 arrived after ${inbox.arrivedAt(second) - t0} ms`);
    assert.ok(inbox.arrivedAt(second) - t0 < 4000, 'and not much later');
    await consumer.ack(got.map((d) => d.id));
  });

  it('the same idempotency key to the same queue enqueues once (duplicate)', T, async () => {
    const first = await producer.dispatch({ type: 'Job', payload: { n: 1 } }, { queue: 'idem', idempotencyKey: 'order-42' });
    const again = await producer.dispatch({ type: 'Job', payload: { n: 2 } }, { queue: 'idem', idempotencyKey: 'order-42' });
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(again.id, first.id);
    assert.equal(again.status, 'pending');
    const other = await producer.dispatch({ type: 'Job', payload: { n: 3 } }, { queue: 'idem-2', idempotencyKey: 'order-42' });
    assert.equal(other.duplicate, false, 'keys are per queue');
    const [stats] = await producer.stats('idem');
    assert.equal(stats?.ready, 1n);
  });

  it('10 000 concurrent dispatches are coalesced into a few DISPATCH frames', T, async (t) => {
    const n = 10_000;
    const framesBefore = producer.counters.dispatchFrames;
    const start = performance.now();
    const receipts = await Promise.all(Array.from({ length: n }, (_, i) => producer.dispatch({ type: 'Bulk', payload: { i } }, { queue: 'bulk' })));
    const ms = performance.now() - start;
    const frames = producer.counters.dispatchFrames - framesBefore;
    t.diagnostic(`10000 concurrent dispatches: ${ms.toFixed(0)} ms, ${frames} DISPATCH frame(s)`);
    assert.ok(frames <= 10, `${frames} frames for ${n} dispatches`);
    const ids = receipts.map((r) => r.id);
    assert.equal(new Set(ids).size, n, 'all ids distinct');
    assert.ok(ids.every((id, i) => i === 0 || id > (ids[i - 1] as bigint)), 'ids increase in dispatch order');
    const [stats] = await producer.stats('bulk');
    assert.equal(stats?.ready, BigInt(n));

    // for comparison: one await per dispatch cannot batch (each waits for its confirmation)
    const seq = 300;
    const seqFramesBefore = producer.counters.dispatchFrames;
    const seqStart = performance.now();
    for (let i = 0; i < seq; i++) await producer.dispatch({ type: 'Bulk', payload: { i } }, { queue: 'bulk-seq' });
    t.diagnostic(
      `${seq} sequential awaited dispatches: ${(performance.now() - seqStart).toFixed(0)} ms, ${producer.counters.dispatchFrames - seqFramesBefore} frames`,
    );
  });

  it('a per-message error fails that message alone; the rest of the batch goes through', T, async () => {
    const framesBefore = producer.counters.dispatchFrames;
    const results = await producer.dispatchBatch([
      { type: 'Job', payload: { ok: 1 } },
      { message: { type: 'Job', payload: {} }, options: { queue: 'bad queue!' } },
      { message: { type: 'Job', payload: {} }, options: { priority: 11 } },
      { type: 'Job', payload: [1, 2, 3] },
      { message: { type: 'Job', payload: {}, headers: { 'message-id': 'forged' } } },
      { message: { type: 'Job', payload: {} }, options: { delayMs: -5 } },
      { message: { type: 'Job', payload: { ok: 2 } }, options: { queue: 'batch-ok' } },
    ]);
    assert.equal(producer.counters.dispatchFrames - framesBefore, 1, 'one frame');
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as ProtocolError).codeName));
    assert.deepEqual(codes, ['ok', 'INVALID_QUEUE_NAME', 'PRIORITY_OUT_OF_RANGE', 'INVALID_PAYLOAD', 'INVALID_HEADER', 'INVALID_SCHEDULE', 'ok']);
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.ok(r.reason instanceof DispatchError);
        assert.ok(r.reason.message.length > 0, 'the broker says which field');
      }
    }
    // the same through concurrent dispatch() calls
    const [good, bad] = await Promise.allSettled([
      producer.dispatch({ type: 'Job', payload: {} }, { queue: 'batch-ok' }),
      producer.dispatch({ type: 'Job', payload: {} }, { queue: 'batch-ok', priority: 12 }),
    ]);
    assert.equal(good.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
  });

  it('an ERROR reply rejects the bad request with a ProtocolError; the connection stays up', T, async () => {
    const c = await client();
    const code = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof ProtocolError ? e.codeName : `not a ProtocolError: ${String(e)}`),
      );
    assert.equal(await code(c.credit(5)), 'NOT_SUBSCRIBED');
    assert.equal(await code(c.subscribe([])), 'INVALID_ARGUMENT');
    assert.equal(await code(c.subscribe(['no spaces allowed'])), 'INVALID_QUEUE_NAME');
    assert.equal(await code(c.purgeQueue('never-used')), 'QUEUE_NOT_FOUND');
    assert.equal(await code(c.overview(61)), 'INVALID_ARGUMENT');
    assert.equal(await code(c.failedGet(987_654_321n)), 'UNKNOWN_MESSAGE');
    const pong = await c.ping(99n);
    assert.equal(pong.nonce, 99n);
    assert.equal(c.counters.connects, 1, 'no reconnect was needed');
  });

  it('admin: stats, messageStatus, purge, health, overview, metrics', T, async () => {
    const receipts = await Promise.all([1, 2, 3].map((n) => producer.dispatch({ type: 'Adm', payload: { n } }, { queue: 'admin-q' })));
    const all = await producer.stats();
    assert.ok(all.some((s) => s.name === 'admin-q'));
    const statuses = await producer.messageStatus([...receipts.map((r) => r.id), 999_999_999n]);
    assert.deepEqual(statuses.map((s) => s.code), [0, 0, 0, 400]);
    assert.equal(statuses[0]?.queue, 'admin-q');
    assert.equal(await producer.purgeQueue('admin-q'), 3n);
    assert.equal((await producer.stats('admin-q'))[0]?.ready, 0n);
    const health = await producer.health();
    assert.equal(health.status, 'healthy');
    assert.ok(Array.isArray(health.reasons));
    const overview = await producer.overview(5);
    assert.ok('admin-q' in overview.queues);
    const metrics = await producer.metrics();
    assert.match(metrics, /symphony_messages_dispatched_total/);
  });
});

describe('symphonyd: authentication', () => {
  let broker: Broker;
  before(async () => {
    broker = await Broker.start({ args: ['--auth-token', 's3cret-token'] });
  });
  after(async () => broker?.dispose());

  it('a wrong token is AUTH_FAILED (not retried); the right one connects', T, async () => {
    const wrong = new SymphonyClient({ url: broker.url, env: {}, token: 'wrong' });
    await assert.rejects(wrong.connect(), (e: unknown) => e instanceof ProtocolError && e.codeName === 'AUTH_FAILED');
    assert.equal(wrong.counters.failedAttempts, 1, 'authentication is not retried');
    await wrong.close();
    const right = await SymphonyClient.connect({ url: broker.url, env: { SYMPHONY_TOKEN: 's3cret-token' } });
    assert.equal((await right.ping(1n)).nonce, 1n);
    await right.close();
  });
});
