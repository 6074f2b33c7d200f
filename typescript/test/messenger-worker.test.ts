// The Worker's logic against a scripted client: settling (ack, nack retry/fatal, no handler),
// concurrency, lease extension, lost leases, graceful shutdown (credit 0, release, grace period)
// and signals.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HandlerError, HandlerRegistry, Worker, silentLogger, type WorkerEvent, type WorkerOptions } from '../src/index.js';
import { FakeWorkerClient, tick, until } from './support/fake-worker-client.js';

const T = { timeout: 10_000 };

describe('Worker (scripted client)', () => {
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
  });

  async function started(registry: HandlerRegistry, options: Partial<WorkerOptions> = {}): Promise<{ worker: Worker; client: FakeWorkerClient; events: WorkerEvent[] }> {
    const client = options.client instanceof FakeWorkerClient ? options.client : new FakeWorkerClient();
    const events: WorkerEvent[] = [];
    const worker = new Worker({ registry, queues: ['jobs'], client, env: {}, logger: silentLogger, onEvent: (e) => events.push(e), ...options });
    workers.push(worker);
    await worker.start();
    return { worker, client, events };
  }

  it('subscribes with batchSize as prefetch, acks a success; the handler gets message, envelope and context', T, async () => {
    const seen: unknown[] = [];
    const registry = new HandlerRegistry().register('Job', async (message, envelope, context) => {
      seen.push([message.payload, envelope.id, envelope.queue, envelope.attempt, context.attempt, typeof context.touch, context.signal.aborted, context.stopping]);
    });
    const { client, events, worker } = await started(registry, { batchSize: 7, leaseMs: 5000 });
    assert.deepEqual(client.of('subscribe'), [{ op: 'subscribe', queues: ['jobs'], prefetch: 7, leaseMs: 5000 }]);
    const id = client.deliver({ type: 'Job', payload: { n: 1 }, attempt: 2, queue: 'jobs' });
    await until(() => client.of('ack').length === 1);
    assert.deepEqual(seen, [[{ n: 1 }, String(id), 'jobs', 2, 2, 'function', false, false]]);
    assert.deepEqual(client.of('ack'), [{ op: 'ack', id }]);
    await until(() => events.some((e) => e.type === 'processed'));
    assert.equal(worker.stats.processed, 1);
  });

  it('defaults: queue and sizes from SYMPHONY_* (validated), else default / 10 / 5', () => {
    const registry = new HandlerRegistry();
    const w = new Worker({ registry, client: new FakeWorkerClient(), env: { SYMPHONY_DEFAULT_QUEUE: 'q', SYMPHONY_WORKER_BATCH_SIZE: '20', SYMPHONY_WORKER_MAX_CONCURRENCY: '3' } });
    assert.deepEqual([w.queues, w.batchSize, w.maxConcurrency], [['q'], 20, 3]);
    const d = new Worker({ registry, client: new FakeWorkerClient(), env: {} });
    assert.deepEqual([d.queues, d.batchSize, d.maxConcurrency], [['default'], 10, 5]);
    assert.throws(() => new Worker({ registry, client: new FakeWorkerClient(), env: { SYMPHONY_WORKER_MAX_CONCURRENCY: 'lots' } }), /SYMPHONY_WORKER_MAX_CONCURRENCY/);
    assert.throws(() => new Worker({ registry, client: new FakeWorkerClient(), env: {}, queues: [] }), /at least one queue/);
  });

  it('retryable failures nack RETRY under the class name, HandlerError(…, false) and unknown types nack FATAL', T, async () => {
    class SmtpTimeout extends Error {}
    let ran = 0;
    const registry = new HandlerRegistry()
      .register('Flaky', () => {
        ran++;
        throw new SmtpTimeout('smtp timeout');
      })
      .register('Bad', () => {
        ran++;
        throw new HandlerError('invalid address', false);
      });
    const { client, events, worker } = await started(registry);
    const flaky = client.deliver({ type: 'Flaky' });
    const bad = client.deliver({ type: 'Bad' });
    const unknown = client.deliver({ type: 'Mystery' });
    await until(() => client.of('nack').length === 3);
    const nacks = new Map(client.of('nack').map((n) => [n.id, [n.mode, n.errorClass, n.error]]));
    assert.deepEqual(nacks.get(flaky), ['retry', 'SmtpTimeout', 'smtp timeout']);
    assert.deepEqual(nacks.get(bad), ['fatal', 'HandlerError', 'invalid address']);
    assert.deepEqual(nacks.get(unknown), ['fatal', 'NoHandlerError', 'no handler registered for message type "Mystery"']);
    assert.equal(ran, 2, 'no handler ran for the unknown type');
    await until(() => events.filter((e) => e.type === 'failed').length === 3);
    const failed = events.flatMap((e) => (e.type === 'failed' ? [[e.envelope.type, e.outcome, e.retryable]] : []));
    assert.deepEqual(new Set(failed.map((f) => JSON.stringify(f))), new Set([JSON.stringify(['Flaky', 'retry-scheduled', true]), JSON.stringify(['Bad', 'dead-lettered', false]), JSON.stringify(['Mystery', 'dead-lettered', false])]));
    assert.deepEqual([worker.stats.retried, worker.stats.deadLettered], [1, 2]);
    assert.equal(client.of('ack').length, 0);
  });

  it('a retry the broker refuses for exhausted retries is reported dead-lettered', T, async () => {
    const registry = new HandlerRegistry().register('Flaky', () => {
      throw new Error('again');
    });
    const { client, events } = await started(registry);
    client.deliver({ type: 'Flaky', attempt: 4 }); // maxRetries 3: attempt 4 is the last
    await until(() => events.some((e) => e.type === 'failed'));
    const e = events.find((x) => x.type === 'failed');
    assert.ok(e?.type === 'failed');
    assert.deepEqual([e.outcome, e.retryAt, e.errorClass], ['dead-lettered', undefined, 'Error']);
  });

  it('runs at most maxConcurrency handlers at once; the rest wait in arrival order', T, async () => {
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const registry = new HandlerRegistry().register('Job', async (m) => {
      running++;
      peak = Math.max(peak, running);
      order.push(m.payload['n'] as number);
      await tick(20);
      running--;
    });
    const { client, worker } = await started(registry, { maxConcurrency: 2, batchSize: 6 });
    for (let n = 0; n < 6; n++) client.deliver({ type: 'Job', payload: { n } });
    assert.deepEqual([worker.stats.running, worker.stats.waiting], [2, 4]);
    await until(() => client.of('ack').length === 6);
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  });

  it('extends the lease of a long handler (TOUCH at half the remaining lease), then acks', T, async () => {
    const registry = new HandlerRegistry().register('Slow', () => tick(450));
    const client = new FakeWorkerClient();
    const { events } = await started(registry, { client, leaseMs: 200 });
    const id = client.deliver({ type: 'Slow' });
    await until(() => client.of('ack').length === 1);
    const touches = client.of('touch');
    assert.ok(touches.length >= 3 && touches.length <= 6, `${touches.length} touches in 450 ms with a 200 ms lease`);
    assert.ok(touches.every((t) => t.id === id && t.extendMs === 200));
    assert.ok(client.calls.findIndex((c) => c.op === 'ack') > client.calls.findIndex((c) => c.op === 'touch'));
    await tick(250);
    assert.equal(client.of('touch').length, touches.length, 'no touch after the ack');
    assert.ok(events.some((e) => e.type === 'extended'));
  });

  it('prefetched messages waiting for a slot are extended too; context.touch() extends on demand', T, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const registry = new HandlerRegistry().register('Job', async (m, _e, context) => {
      if (m.payload['n'] === 0) await gate;
      else await context.touch(5000);
    });
    const client = new FakeWorkerClient();
    await started(registry, { client, leaseMs: 100, maxConcurrency: 1 });
    const first = client.deliver({ type: 'Job', payload: { n: 0 } });
    const second = client.deliver({ type: 'Job', payload: { n: 1 } });
    await tick(180);
    assert.ok(client.of('touch').some((t) => t.id === second), 'the waiting one was touched');
    assert.ok(client.of('touch').some((t) => t.id === first));
    release();
    await until(() => client.of('ack').length === 2);
    assert.ok(client.of('touch').some((t) => t.id === second && t.extendMs === 5000));
  });

  it('a refused TOUCH means the lease is gone: the result is dropped, not acked', T, async () => {
    const registry = new HandlerRegistry().register('Slow', () => tick(200));
    const client = new FakeWorkerClient();
    const { events, worker } = await started(registry, { client, leaseMs: 100 });
    const id = client.deliver({ type: 'Slow' });
    client.refused.add(id);
    await until(() => events.some((e) => e.type === 'lost'));
    await tick(50);
    assert.equal(client.of('ack').length, 0);
    assert.equal(worker.stats.lost, 1);
  });

  it('a delivery from a replaced connection is dropped before its handler starts', T, async () => {
    let ran = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const registry = new HandlerRegistry().register('Job', async () => {
      ran++;
      await gate;
    });
    const client = new FakeWorkerClient();
    const { events } = await started(registry, { client, maxConcurrency: 1 });
    client.deliver({ type: 'Job' });
    client.deliver({ type: 'Job' });
    client.welcome = { ...(client.welcome as NonNullable<typeof client.welcome>), sessionId: 2n }; // reconnected
    release();
    await until(() => events.some((e) => e.type === 'lost'));
    assert.equal(ran, 1);
  });

  it('graceful stop: CREDIT 0, RELEASE what waits, let the running handler finish and ack it', T, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sawStopping = false;
    const registry = new HandlerRegistry().register('Job', async (m, _e, context) => {
      if (m.payload['n'] === 0) {
        await gate;
        sawStopping = context.stopping;
      }
    });
    const { client, worker, events } = await started(registry, { maxConcurrency: 1 });
    const ids = [0, 1, 2].map((n) => client.deliver({ type: 'Job', payload: { n } }));
    const stopped = worker.stop();
    await until(() => client.of('nack').length === 2);
    assert.equal(client.calls.findIndex((c) => c.op === 'credit'), 1, 'CREDIT 0 right after SUBSCRIBE');
    assert.deepEqual(client.of('credit'), [{ op: 'credit', prefetch: 0 }]);
    assert.deepEqual(client.of('nack').map((n) => [n.id, n.mode]), [[ids[1], 'release'], [ids[2], 'release']]);
    const late = client.deliver({ type: 'Job', payload: { n: 3 } }); // sent before the broker saw CREDIT 0
    await until(() => client.of('nack').length === 3);
    assert.deepEqual(client.of('nack')[2]?.id, late);
    assert.equal(client.of('ack').length, 0, 'the running handler is still running');
    release();
    await stopped;
    assert.deepEqual(client.of('ack'), [{ op: 'ack', id: ids[0] }]);
    assert.ok(sawStopping);
    assert.equal(client.listening, false);
    assert.equal(client.of('close').length, 0, 'a client passed in is not closed');
    assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'extended'), ['started', 'stopping', 'released', 'released', 'released', 'processed', 'stopped']);
    assert.equal(worker.stats.released, 3);
  });

  it('after the grace period: the signal aborts and the still-running message is nacked for retry', T, async () => {
    let aborted = false;
    const registry = new HandlerRegistry().register('Stuck', (_m, _e, context) => {
      return new Promise<void>((resolve) => {
        context.signal.addEventListener('abort', () => {
          aborted = true;
          setTimeout(resolve, 20); // finishes after the nack: its result is dropped
        });
      });
    });
    const { client, worker } = await started(registry, { shutdownGraceMs: 100 });
    const id = client.deliver({ type: 'Stuck' });
    const t0 = Date.now();
    await worker.stop();
    assert.ok(Date.now() - t0 >= 90);
    assert.ok(aborted);
    assert.deepEqual(client.of('nack').map((n) => [n.id, n.mode, n.errorClass]), [[id, 'retry', 'WorkerShutdown']]);
    await tick(50);
    assert.equal(client.of('ack').length, 0);
    assert.equal(client.of('nack').length, 1);
  });

  it('handleSignals: SIGTERM stops the worker gracefully and the listeners are removed', T, async () => {
    const before = process.listenerCount('SIGTERM');
    const beforeInt = process.listenerCount('SIGINT');
    const registry = new HandlerRegistry().register('Job', () => undefined);
    const { client, events } = await started(registry, { handleSignals: true });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await until(() => events.some((e) => e.type === 'stopped'));
    assert.deepEqual(events.find((e) => e.type === 'stopping'), { type: 'stopping', reason: 'SIGTERM' });
    assert.deepEqual(client.of('credit'), [{ op: 'credit', prefetch: 0 }]);
    assert.equal(process.listenerCount('SIGTERM'), before);
    assert.equal(process.listenerCount('SIGINT'), beforeInt);
  });

  it('middleware registered on the registry runs in the worker; context.logger lines carry the message', T, async () => {
    const lines: Array<Record<string, unknown> | undefined> = [];
    const logger = { ...silentLogger, info: (_m: string, f?: Record<string, unknown>) => void lines.push(f) };
    const order: string[] = [];
    const registry = new HandlerRegistry()
      .use(async (_m, _e, _c, next) => {
        order.push('mw');
        await next();
      })
      .register('Job', (_m, _e, context) => {
        order.push('handler');
        context.logger.info('working', { step: 1 });
      });
    const { client } = await started(registry, { logger });
    const id = client.deliver({ type: 'Job', attempt: 3 });
    await until(() => client.of('ack').length === 1);
    assert.deepEqual(order, ['mw', 'handler']);
    assert.deepEqual(lines, [{ messageId: String(id), type: 'Job', attempt: 3, step: 1 }]);
  });

  it('listeners via on() get their events; one that throws changes nothing', T, async () => {
    const registry = new HandlerRegistry().register('Job', () => undefined);
    const { worker, client } = await started(registry);
    const processed: string[] = [];
    worker.on('processed', () => {
      throw new Error('listener bug');
    });
    const off = worker.on('processed', (e) => processed.push(e.envelope.id));
    client.deliver({ type: 'Job' });
    await until(() => processed.length === 1);
    off();
    client.deliver({ type: 'Job' });
    await until(() => client.of('ack').length === 2);
    await tick(5);
    assert.equal(processed.length, 1);
  });
});
