// Against the real broker: nack with a retry policy down to the dead-letter set and back
// (failedList / failedGet / failedRetry / failedDelete), and touch extending a lease.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NackOutcome, ProtocolError, SymphonyClient } from '../../src/index.js';
import { Broker } from '../support/broker.js';
import { Inbox } from '../support/receive.js';

const T = { timeout: 30_000 };

// Flaky messages: two retries (100 ms, then 200 ms) before the dead-letter set.
const CONFIG = `
[retry.Flaky]
max_retries = 2
delay_ms = 100
multiplier = 2.0
max_delay_ms = 1000
`;

describe('symphonyd: settling', () => {
  let broker: Broker;
  let producer: SymphonyClient;
  const clients: SymphonyClient[] = [];

  async function consumer(queue: string, prefetch: number, leaseMs = 0): Promise<{ c: SymphonyClient; inbox: Inbox }> {
    const c = await SymphonyClient.connect({ url: broker.url, env: {} });
    clients.push(c);
    const inbox = new Inbox(c);
    await c.subscribe(queue, prefetch, leaseMs);
    return { c, inbox };
  }

  before(async () => {
    broker = await Broker.start({ config: CONFIG });
    producer = await SymphonyClient.connect({ url: broker.url, env: {} });
    clients.push(producer);
  });
  after(async () => {
    for (const c of clients) await c.close({ timeoutMs: 1000 });
    await broker?.dispose();
  });

  it('nack retry follows the type retry policy, then dead-letters; failed* admin it', T, async () => {
    const { id } = await producer.dispatch({ type: 'Flaky', payload: { job: 7 } }, { queue: 'flaky', idempotencyKey: 'flaky-7' });
    const { c, inbox } = await consumer('flaky', 1);

    const outcomes: number[] = [];
    const arrivals: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [d] = await inbox.take(1, 5000);
      assert.ok(d);
      assert.equal(d.id, id);
      assert.equal(d.attempt, attempt);
      arrivals.push(inbox.arrivedAt(d));
      const r = await c.nack(d.id, 'retry', `boom ${attempt}`, 'FlakyError');
      assert.equal(r.code, 0);
      outcomes.push(r.outcome);
      if (r.outcome === NackOutcome.RETRY_SCHEDULED) assert.ok(r.availableAtMs > Date.now() - 50);
    }
    assert.deepEqual(outcomes, [NackOutcome.RETRY_SCHEDULED, NackOutcome.RETRY_SCHEDULED, NackOutcome.DEAD_LETTERED]);
    const [a1, a2, a3] = arrivals as [number, number, number];
    assert.ok(a2 - a1 >= 90, `first retry after ${a2 - a1} ms (policy: 100)`);
    assert.ok(a3 - a2 >= 190, `second retry after ${a3 - a2} ms (policy: 200)`);
    assert.deepEqual(await inbox.within(300), [], 'a dead letter is not delivered');

    const list = await producer.failedList({ filter: { queue: 'flaky' }, limit: 10 });
    assert.equal(list.total, 1n);
    assert.equal(list.items[0]?.messageId, id);
    assert.equal(list.items[0]?.attempts, 3);
    assert.equal(list.items[0]?.errorClass, 'FlakyError');
    assert.equal(list.items[0]?.error, 'boom 3');
    const detail = await producer.failedGet(id);
    assert.deepEqual(detail.failures.map((f) => [f.attempt, f.error, f.errorClass]), [
      [1, 'boom 1', 'FlakyError'],
      [2, 'boom 2', 'FlakyError'],
      [3, 'boom 3', 'FlakyError'],
    ]);
    assert.equal(detail.payload.toString(), '{"job":7}');
    assert.equal(detail.idempotencyKey, 'flaky-7');
    assert.equal((await producer.messageStatus(id))[0]?.status, 3, 'failed');

    const dry = await producer.failedRetry([id], { dryRun: true });
    assert.deepEqual(dry.messageIds, [id]);
    assert.equal((await producer.failedList({ filter: { queue: 'flaky' }, limit: 10 })).total, 1n, 'a dry run moves nothing');
    const retried = await producer.failedRetry([id, 123_456_789n]);
    assert.deepEqual(retried.messageIds, [id]);
    assert.deepEqual(retried.failures.map((f) => f.code), [400]);
    const [back] = await inbox.take(1, 5000);
    assert.equal(back?.id, id);
    assert.equal(back?.attempt, 1, 'attempts reset');
    assert.deepEqual(await c.ack(id), { acked: 1, failures: [] });
  });

  it('nack fatal dead-letters at once; failedDelete removes it', T, async () => {
    const { id } = await producer.dispatch({ type: 'Broken', payload: {} }, { queue: 'fatal' });
    const { c, inbox } = await consumer('fatal', 1);
    const [d] = await inbox.take(1);
    const r = await c.nack(d?.id ?? 0n, 'fatal', 'cannot ever work', 'ValidationError');
    assert.equal(r.outcome, NackOutcome.DEAD_LETTERED);
    const deleted = await producer.failedDelete([id]);
    assert.deepEqual(deleted.messageIds, [id]);
    await assert.rejects(producer.failedGet(id), (e: unknown) => e instanceof ProtocolError && e.codeName === 'UNKNOWN_MESSAGE');
  });

  it('nack release hands a delivery back without counting an attempt', T, async () => {
    await producer.dispatch({ type: 'Job', payload: {} }, { queue: 'release' });
    const { c, inbox } = await consumer('release', 1);
    const [d] = await inbox.take(1);
    assert.equal((await c.nack(d?.id ?? 0n, 'release')).outcome, NackOutcome.RELEASED);
    const [again] = await inbox.take(1);
    assert.equal(again?.id, d?.id);
    assert.equal(again?.attempt, 1);
    await c.ack(again?.id ?? 0n);
  });

  it('touch extends a lease; an untouched one expires and comes back', T, async () => {
    const [kept, lapsed] = await Promise.all([
      producer.dispatch({ type: 'Slow', payload: { n: 1 } }, { queue: 'lease', priority: 9 }),
      producer.dispatch({ type: 'Slow', payload: { n: 2 } }, { queue: 'lease', priority: 1 }),
    ]);
    const { c, inbox } = await consumer('lease', 2, 1000);
    const [d1, d2] = await inbox.take(2);
    assert.equal(d1?.id, kept.id);
    assert.equal(d2?.id, lapsed.id);
    const before = d1?.leaseDeadline.getTime() ?? 0;
    const touched = await c.touch(kept.id, 4000);
    assert.equal(touched.code, 0);
    assert.ok(touched.leaseDeadlineMs >= before + 2500, `deadline ${before} -> ${touched.leaseDeadlineMs}`);

    // the untouched lease (1 s) expires: that delivery comes back; the touched one does not
    const back = await inbox.take(1, 5000);
    assert.equal(back[0]?.id, lapsed.id, 'the untouched delivery expired and was delivered again');
    assert.equal(back[0]?.attempt, 2);
    assert.ok(Date.now() >= before, 'past the first lease of the touched delivery');
    assert.deepEqual(await c.ack([kept.id, lapsed.id]), { acked: 2, failures: [] }, 'the touched lease still held');
    assert.deepEqual(await inbox.within(100), []);
    const [stats] = await producer.stats('lease');
    assert.ok((stats?.expiredTotal ?? 0n) >= 1n);
  });

  it('acking a message this consumer does not hold is a per-id failure', T, async () => {
    const { id } = await producer.dispatch({ type: 'Job', payload: {} }, { queue: 'not-mine' });
    const result = await producer.ack([id, 999_999_999n]);
    assert.equal(result.acked, 0);
    assert.deepEqual(result.failures, [
      { messageId: id, code: 401 },
      { messageId: 999_999_999n, code: 400 },
    ]);
  });
});
