// The Messenger API against the real broker: priority order through dispatch(), delays,
// idempotency, batch and fan-out results, a retryable failure retried by the broker's policy into
// the dead-letter set and brought back with failed.retry(), lease extension of a slow handler,
// graceful shutdown handing prefetched messages to another worker, and a typed message that fails
// validation on receipt.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  DispatchError,
  HandlerRegistry,
  MessageValidationError,
  Messenger,
  Worker,
  configure,
  defineMessage,
  dispatch,
  dispatchBatch,
  dispatchToTransports,
  failed,
  health,
  messageStatus,
  metrics,
  resetMessenger,
  silentLogger,
  status,
  type HandlerLike,
  type MessageEnvelope,
  type WorkerEvent,
  type WorkerOptions,
} from '../../src/index.js';
import { Broker } from '../support/broker.js';
import { sleep } from '../support/receive.js';

const T = { timeout: 30_000 };

// Flaky messages: two retries (100 ms, then 200 ms) before the dead-letter set.
const CONFIG = `
[retry.Flaky]
max_retries = 2
delay_ms = 100
multiplier = 2.0
max_delay_ms = 1000
`;

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('symphonyd: the Messenger API', () => {
  let broker: Broker;
  const workers: Worker[] = [];

  function worker(queue: string, handlers: Record<string, HandlerLike>, options: Partial<WorkerOptions> = {}): { w: Worker; events: WorkerEvent[] } {
    const registry = new HandlerRegistry();
    for (const [type, h] of Object.entries(handlers)) registry.register(type, h);
    const events: WorkerEvent[] = [];
    const w = new Worker({ registry, queues: [queue], connection: { url: broker.url }, env: {}, logger: silentLogger, onEvent: (e) => events.push(e), ...options });
    workers.push(w);
    return { w, events };
  }

  before(async () => {
    broker = await Broker.start({ config: CONFIG });
    configure({ connection: { url: broker.url }, env: {} });
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await resetMessenger();
    await broker?.dispose();
  });

  it('dispatch() priorities: a single-slot worker handles the highest first', T, async () => {
    for (const priority of [1, 5, 10, 3, 7]) await dispatch({ type: 'Prio', payload: { priority } }, { queue: 'prio', priority });
    const order: number[] = [];
    const { w } = worker('prio', { Prio: (m) => void order.push(m.payload['priority'] as number) }, { batchSize: 1, maxConcurrency: 1 });
    await w.start();
    await waitFor(() => order.length === 5, 'five messages');
    assert.deepEqual(order, [10, 7, 5, 3, 1]);
  });

  it('delay and scheduledAt: pending until their time, then delivered', T, async () => {
    const arrivals = new Map<string, number>();
    const { w } = worker('later', { Later: (_m, e) => void arrivals.set(e.id, Date.now()) });
    await w.start();
    const t0 = Date.now();
    const delayed = await dispatch({ type: 'Later', payload: {} }, { queue: 'later', delay: 600 });
    const scheduled = await dispatch({ type: 'Later', payload: {} }, { queue: 'later', scheduledAt: new Date(t0 + 400) });
    assert.equal(typeof delayed.messageId, 'string');
    assert.equal((await messageStatus(delayed.messageId))?.status, 'pending');
    await waitFor(() => arrivals.size === 2, 'both messages');
    assert.ok((arrivals.get(delayed.messageId) ?? 0) - t0 >= 580, `delay 600: after ${(arrivals.get(delayed.messageId) ?? 0) - t0} ms`);
    assert.ok((arrivals.get(scheduled.messageId) ?? 0) - t0 >= 380, 'scheduled at +400');
    assert.ok((arrivals.get(scheduled.messageId) ?? 0) <= (arrivals.get(delayed.messageId) ?? 0));
    await waitFor(() => w.stats.processed === 2, 'acks');
    assert.equal((await messageStatus(delayed.messageId))?.status, 'completed');
  });

  it('idempotency: the same key to the same queue enqueues once; the second is a duplicate', T, async () => {
    const first = await dispatch({ type: 'Once', payload: { n: 1 } }, { queue: 'once', idempotencyKey: 'order-42' });
    const again = await dispatch({ type: 'Once', payload: { n: 2 } }, { queue: 'once', idempotencyKey: 'order-42' });
    assert.deepEqual([first.duplicate, again.duplicate, again.messageId, again.status], [false, true, first.messageId, 'pending']);
    const s = await status();
    assert.equal(s.queues['once']?.pending, 1);
    assert.equal(s.queues['once']?.depth, 1);
  });

  it('dispatchBatch: one result per message; a bad one (here or at the broker) fails alone', T, async () => {
    const results = await dispatchBatch(
      [
        { type: 'Batch', payload: { n: 1 } },
        { type: 'x'.repeat(300), payload: {} }, // over the broker's max_type_bytes
        { type: 'Batch', payload: [] as unknown as Record<string, unknown> }, // refused here
        { type: 'Batch', payload: { n: 2 } },
      ],
      { queue: 'batch', priority: 8 },
    );
    assert.deepEqual(results.map((r) => r.success), [true, false, false, true]);
    assert.ok(results[1]?.error instanceof DispatchError, String(results[1]?.error));
    assert.ok(results[2]?.error instanceof MessageValidationError);
    const ok = results.flatMap((r) => (r.success ? [r] : []));
    assert.ok(BigInt(ok[1]?.messageId ?? 0) > BigInt(ok[0]?.messageId ?? 0), 'ids increase in dispatch order');
    assert.deepEqual(ok.map((r) => r.queue), ['batch', 'batch']);
    assert.equal((await status()).queues['batch']?.ready, 2);
  });

  it('fan-out: dispatchToTransports gives one result per queue; config routing fans out too', T, async () => {
    const results = await dispatchToTransports({ type: 'Fan', payload: {} }, ['fan-a', 'fan-b', 'fan-c']);
    assert.deepEqual(results.map((r) => [r.success, r.queue]), [[true, 'fan-a'], [true, 'fan-b'], [true, 'fan-c']]);
    assert.equal(new Set(results.map((r) => r.messageId)).size, 3);
    const routed = new Messenger({ connection: { url: broker.url }, env: {}, routing: { Routed: ['route-a', 'route-b'] } });
    try {
      const r = await routed.dispatch({ type: 'Routed', payload: {} });
      assert.deepEqual(r.envelopes.map((e) => e.queue), ['route-a', 'route-b']);
      const s = await routed.status();
      assert.deepEqual([s.queues['route-a']?.ready, s.queues['route-b']?.ready, s.queues['fan-c']?.ready], [1, 1, 1]);
    } finally {
      await routed.close();
    }
  });

  it('a retryable failure is retried by the broker policy into the dead letters; failed.retry brings it back', T, async () => {
    class FlakyError extends Error {}
    let failing = true;
    const attempts: number[] = [];
    const { w, events } = worker('flaky', {
      Flaky: (_m, e) => {
        attempts.push(e.attempt);
        if (failing) throw new FlakyError(`boom ${e.attempt}`);
      },
    });
    await w.start();
    const { messageId } = await dispatch({ type: 'Flaky', payload: { job: 7 } }, { queue: 'flaky' });
    await waitFor(() => events.some((e) => e.type === 'failed' && e.outcome === 'dead-lettered'), 'the dead letter');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(events.flatMap((e) => (e.type === 'failed' ? [e.outcome] : [])), ['retry-scheduled', 'retry-scheduled', 'dead-lettered']);

    const page = await failed.list({ type: 'Flaky', limit: 10 });
    assert.equal(page.total, 1);
    assert.equal(page.nextCursor, null);
    const [dead] = page.messages;
    assert.deepEqual([dead?.id, dead?.queue, dead?.errorClass, dead?.error, dead?.attempts], [messageId, 'flaky', 'FlakyError', 'boom 3', 3]);
    const detail = await failed.get(messageId);
    assert.deepEqual(detail?.failures.map((f) => f.errorClass), ['FlakyError', 'FlakyError', 'FlakyError']);
    assert.deepEqual(detail?.payload, { job: 7 });
    assert.equal((await messageStatus(messageId))?.status, 'failed');

    failing = false;
    const retried = await failed.retry(messageId);
    assert.deepEqual(retried, { ids: [messageId], failures: [] });
    await waitFor(() => events.some((e) => e.type === 'processed' && e.envelope.id === messageId), 'the retried message handled');
    assert.equal(attempts.at(-1), 1, 'attempts reset');
    assert.equal((await messageStatus(messageId))?.status, 'completed');
    assert.equal((await failed.list({ type: 'Flaky' })).total, 0);
    const none = await failed.retry(messageId);
    assert.deepEqual(none.failures.map((f) => [f.id, f.error]), [[messageId, 'UNKNOWN_MESSAGE']]);
  });

  it('a handler slower than its lease keeps it (TOUCH) and is not redelivered', T, async () => {
    const deliveries: MessageEnvelope[] = [];
    const { w, events } = worker(
      'slow',
      {
        Slow: async (_m, e) => {
          deliveries.push(e);
          await sleep(1600);
        },
      },
      { leaseMs: 500 },
    );
    await w.start();
    const { messageId } = await dispatch({ type: 'Slow', payload: {} }, { queue: 'slow' });
    await waitFor(() => w.stats.processed === 1, 'the slow message acked');
    await sleep(700); // a redelivery would come after the 500 ms lease
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]?.id, messageId);
    assert.ok(w.stats.extended >= 3, `${w.stats.extended} extensions`);
    assert.ok(events.some((e) => e.type === 'extended'));
    const q = (await status()).queues['slow'];
    assert.deepEqual([q?.expired, q?.completed], [0, 1]);
  });

  it('graceful stop: prefetched messages are released and handled by a second worker, not counted as attempts', T, async () => {
    const ids = [];
    for (let n = 0; n < 5; n++) ids.push((await dispatch({ type: 'Drain', payload: { n } }, { queue: 'drain' })).messageId);
    const byA: string[] = [];
    const a = worker('drain', {
      Drain: async (_m, e) => {
        byA.push(e.id);
        await sleep(300);
      },
    }, { batchSize: 5, maxConcurrency: 1 });
    await a.w.start();
    await waitFor(() => a.w.stats.running === 1 && a.w.stats.waiting === 4, 'worker A holding all five');
    await a.w.stop();
    assert.deepEqual(byA, [ids[0]]);
    assert.deepEqual([a.w.stats.processed, a.w.stats.released], [1, 4]);
    assert.deepEqual(a.events.filter((e) => e.type === 'released').map((e) => (e.type === 'released' ? e.envelope.id : '')), ids.slice(1));

    const byB: Array<[string, number]> = [];
    const b = worker('drain', { Drain: (_m, e) => void byB.push([e.id, e.attempt]) });
    await b.w.start();
    await waitFor(() => byB.length === 4, 'worker B handling the rest');
    assert.deepEqual(byB.sort(), ids.slice(1).map((id): [string, number] => [id, 1]).sort());
  });

  it('a typed message whose payload fails its schema on receipt is dead-lettered as ValidationError', T, async () => {
    const TypedEmail = defineMessage('TypedEmail', z.object({ to: z.string().email() }));
    let called = 0;
    const registry = new HandlerRegistry().register(TypedEmail.handler(() => void called++));
    const events: WorkerEvent[] = [];
    const w = new Worker({ registry, queues: ['typed'], connection: { url: broker.url }, env: {}, logger: silentLogger, onEvent: (e) => events.push(e) });
    workers.push(w);
    await w.start();
    await assert.rejects(TypedEmail.dispatch({ to: 'nope' }, { queue: 'typed' }), { name: 'ValidationError' });
    const good = await TypedEmail.dispatch({ to: 'a@example.com' }, { queue: 'typed' });
    const bad = await dispatch({ type: 'TypedEmail', payload: { to: 'nope' } }, { queue: 'typed' }); // untyped: only the receiver can catch it
    await waitFor(() => w.stats.processed === 1 && w.stats.deadLettered === 1, 'both settled');
    assert.equal(called, 1);
    const [dead] = (await failed.list({ queue: 'typed' })).messages;
    assert.deepEqual([dead?.id, dead?.errorClass, dead?.attempts], [bad.messageId, 'ValidationError', 1]);
    assert.match(dead?.error ?? '', /to: Invalid email/);
    assert.equal((await messageStatus(good.messageId))?.status, 'completed');
  });

  it('operations: health, status and metrics in the seeds words', T, async () => {
    const h = await health();
    assert.equal(h.status, 'healthy');
    assert.equal(h.healthy, true);
    assert.equal(typeof h.metrics.queueDepth, 'number');
    const s = await status();
    assert.ok(s.queue.completed >= 1);
    assert.equal(s.queue.depth, s.queue.pending + s.queue.processing);
    const m = await metrics({ minutes: 5 });
    assert.equal(m.minutes, 5);
    assert.ok(m.messagesSucceeded >= 1);
    assert.ok(m.successRate !== null && m.successRate > 0 && m.successRate < 1, 'dead letters and acks in the window');
    assert.equal(typeof m.averageProcessingTime, 'number');
    assert.ok(m.queues['slow']);
    const one = await metrics({ minutes: 5, queue: 'slow' });
    assert.deepEqual([one.queue, one.messagesSucceeded, Object.keys(one.queues)], ['slow', 1, ['slow']]);
    await assert.rejects(metrics({ minutes: 61 }), MessageValidationError);
    assert.equal(await messageStatus('999999'), null);
  });
});
