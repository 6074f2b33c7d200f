// The Messenger's dispatch side against a recording client (what reaches the client layer: queue,
// priority, schedule, key, headers, metadata), and SyncTransport running handlers in process
// with the retry policy applied.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  DispatchError,
  ErrorCode,
  HandlerError,
  HandlerRegistry,
  MessageValidationError,
  Messenger,
  SyncTransport,
  configure,
  dispatch,
  dispatchBatch,
  getMessenger,
  getTransportsForMessageType,
  loggingMiddleware,
  resetMessenger,
  setConfig,
  silentLogger,
  type MessageEnvelope,
  type SymphonyClient,
} from '../src/index.js';
import { FakeDispatchClient } from './support/fake-worker-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function recording(config: ConstructorParameters<typeof Messenger>[0] = {}): { messenger: Messenger; client: FakeDispatchClient } {
  const client = new FakeDispatchClient();
  const messenger = new Messenger({ env: {}, ...config, client: client as unknown as SymphonyClient });
  return { messenger, client };
}

describe('Messenger.dispatch (recording client)', () => {
  it('maps the seeds options to the client: queue, priority, delay, key, headers, metadata; ids are strings', async () => {
    const { messenger, client } = recording();
    const r = await messenger.dispatch(
      { type: 'EmailMessage', payload: { to: 'a@b.c' }, metadata: { a: 1 } },
      { queue: 'email', priority: 7, delay: 500, idempotencyKey: 'k1', headers: { 'x-h': 'v' }, metadata: { b: 2 } },
    );
    assert.deepEqual(client.sent, [
      {
        message: { type: 'EmailMessage', payload: { to: 'a@b.c' }, metadata: { a: 1 } },
        options: { idempotencyKey: 'k1', queue: 'email', priority: 7, delayMs: 500, headers: { 'x-h': 'v' }, metadata: { b: 2 } },
      },
    ]);
    assert.deepEqual(r, {
      messageId: '100',
      queue: 'email',
      duplicate: false,
      status: 'pending',
      type: 'EmailMessage',
      idempotencyKey: 'k1',
      envelopes: [{ messageId: '100', queue: 'email', duplicate: false, status: 'pending' }],
    });
    const at = new Date(Date.now() + 3_600_000);
    await messenger.dispatch({ type: 'A', payload: {} }, { scheduledAt: at });
    const second = (client.sent as FakeDispatchClient['sent'])[1]?.options; // (deepEqual narrowed client.sent)
    assert.equal(second?.scheduledAt, at);
    assert.match(second?.idempotencyKey ?? '', UUID, 'a key is generated');
    assert.equal(second?.queue, undefined, 'no queue: the broker routes');
    assert.equal(second?.priority, undefined, "no priority: the queue's default");
  });

  it('defaults come from SYMPHONY_DEFAULT_QUEUE / SYMPHONY_DEFAULT_PRIORITY; routing and transports apply', async () => {
    const { messenger, client } = recording({
      env: { SYMPHONY_DEFAULT_QUEUE: 'jobs', SYMPHONY_DEFAULT_PRIORITY: '3' },
      transports: { email: { queue: 'email-q', priority: 8 } },
      routing: { EmailMessage: 'email', Fan: ['email', 'audit'] },
    });
    await messenger.dispatch({ type: 'Other', payload: {} });
    await messenger.dispatch({ type: 'EmailMessage', payload: {} });
    await messenger.dispatch({ type: 'Other', payload: {} }, { transport: 'email' });
    const fan = await messenger.dispatch({ type: 'Fan', payload: {} }, { idempotencyKey: 'f' });
    assert.deepEqual(
      client.sent.map((s) => [s.message.type, s.options.queue, s.options.priority]),
      [
        ['Other', 'jobs', 3],
        ['EmailMessage', 'email-q', 8],
        ['Other', 'email-q', 8],
        ['Fan', 'email-q', 8],
        ['Fan', 'audit', 3],
      ],
    );
    assert.deepEqual(fan.envelopes.map((e) => e.queue), ['email-q', 'audit']);
    assert.equal(fan.messageId, fan.envelopes[0]?.messageId);
    assert.deepEqual(client.sent.slice(3).map((s) => s.options.idempotencyKey), ['f', 'f']);
  });

  it('refuses a bad message or option before sending anything (MessageValidationError)', async () => {
    const { messenger, client } = recording();
    const bad: Array<[unknown, object]> = [
      [{ type: '', payload: {} }, {}],
      [{ type: 'A', payload: [] }, {}],
      [{ type: 'A', payload: 'text' }, {}],
      [{ type: 'A', payload: {}, metadata: 3 }, {}],
      [{ type: 'A', payload: {} }, { priority: 11 }],
      [{ type: 'A', payload: {} }, { priority: 0 }],
      [{ type: 'A', payload: {} }, { delay: -1 }],
      [{ type: 'A', payload: {} }, { delay: 1, scheduledAt: new Date() }],
      [{ type: 'A', payload: {} }, { scheduledAt: new Date(NaN) }],
      [{ type: 'A', payload: {} }, { idempotencyKey: 'x'.repeat(256) }],
      [{ type: 'A', payload: {} }, { headers: { a: 1 } }],
    ];
    for (const [m, o] of bad) {
      await assert.rejects(messenger.dispatch(m as never, o), MessageValidationError, JSON.stringify([m, o]));
    }
    assert.equal(client.sent.length, 0);
  });

  it('dispatchBatch: one result per message in order; a bad message fails alone; keys get the index', async () => {
    const { messenger, client } = recording();
    client.refuse = (m) => (m.type === 'Refused' ? new DispatchError(ErrorCode.INVALID_HEADER, 'headers: reserved') : undefined);
    const results = await messenger.dispatchBatch(
      [
        { type: 'A', payload: { n: 1 } },
        { type: 'A', payload: 'not an object' } as never,
        { type: 'Refused', payload: {} },
        { type: 'A', payload: { n: 2 } },
      ],
      { priority: 8, idempotencyKey: 'batch' },
    );
    assert.deepEqual(results.map((r) => r.success), [true, false, false, true]);
    assert.ok(results[1]?.error instanceof MessageValidationError);
    assert.ok(results[2]?.error instanceof DispatchError);
    assert.equal(results[2]?.type, 'Refused');
    assert.deepEqual(client.sent.map((s) => [s.options.priority, s.options.idempotencyKey]), [[8, 'batch:0'], [8, 'batch:3']]);
    assert.deepEqual(results.filter((r) => r.success).map((r) => r.messageId), ['100', '101']);
  });

  it('dispatchToTransports: one result per transport, same key, each failing alone', async () => {
    const { messenger, client } = recording({ transports: { email: { queue: 'email-q' } } });
    client.refuse = (_m, o) => (o.queue === 'closed' ? new DispatchError(ErrorCode.QUEUE_NOT_FOUND, 'no such queue') : undefined);
    const results = await messenger.dispatchToTransports({ type: 'A', payload: {} }, ['email', 'async', 'closed'], { idempotencyKey: 'fan' });
    assert.deepEqual(results.map((r) => [r.success, r.transport, r.queue]), [[true, 'email', 'email-q'], [true, 'async', 'async'], [false, 'closed', 'closed']]);
    assert.deepEqual(client.sent.map((s) => s.options.idempotencyKey), ['fan', 'fan']);
    const invalid = await messenger.dispatchToTransports({ type: 'A', payload: {} }, ['x', 'y'], { priority: 99 });
    assert.deepEqual(invalid.map((r) => [r.success, r.transport]), [[false, 'x'], [false, 'y']]);
  });

  it('close() closes a client it made, not one it was given; a closed Messenger refuses dispatches', async () => {
    const { messenger, client } = recording();
    await messenger.close();
    assert.equal(client.closed, false);
    await assert.rejects(messenger.dispatch({ type: 'A', payload: {} }), /closed/);
  });
});

describe('SyncTransport', () => {
  function sync(registry: HandlerRegistry, config: ConstructorParameters<typeof Messenger>[0] = {}): { messenger: Messenger; transport: SyncTransport; delays: number[] } {
    const delays: number[] = [];
    const transport = new SyncTransport({ registry, logger: silentLogger, sleep: async (ms) => void delays.push(ms) });
    return { messenger: new Messenger({ env: {}, ...config, transport }), transport, delays };
  }

  it('runs the handler inline, through the middleware, with an envelope like a delivery', async () => {
    const seen: MessageEnvelope[] = [];
    const lines: string[] = [];
    const registry = new HandlerRegistry()
      .use(loggingMiddleware({ logger: { ...silentLogger, info: (m) => void lines.push(m) } }))
      .register('EmailMessage', async (message, envelope) => {
        assert.deepEqual(message.payload, { to: 'a@b.c', at: '1970-01-01T00:00:00.000Z' }, 'a JSON round trip, as through the broker');
        seen.push(envelope);
      });
    const { messenger } = sync(registry, { defaultPriority: 6 });
    const r = await messenger.dispatch({ type: 'EmailMessage', payload: { to: 'a@b.c', at: new Date(0) } }, { queue: 'email', headers: { 'x-a': '1' }, metadata: { m: 1 } });
    assert.deepEqual([r.messageId, r.status, r.queue, r.duplicate], ['1', 'completed', 'email', false]);
    assert.equal(seen.length, 1);
    const e = seen[0] as MessageEnvelope;
    assert.deepEqual([e.id, e.type, e.queue, e.priority, e.attempt, e.metadata], ['1', 'EmailMessage', 'email', 6, 1, { m: 1 }]);
    assert.deepEqual(Object.keys(e.headers), ['message-type', 'message-id', 'dispatched-at', 'x-a']);
    assert.deepEqual(lines, ['handled message']);
    assert.equal(messenger.transport.name, 'sync');
    assert.throws(() => messenger.client, /sync transport/);
  });

  it('retries a retryable failure with the retry policy delays, then succeeds', async () => {
    const attempts: number[] = [];
    const registry = new HandlerRegistry().register('Flaky', (_m, envelope) => {
      attempts.push(envelope.attempt);
      if (envelope.attempt < 3) throw new Error('temporary');
    });
    const { messenger, delays, transport } = sync(registry, { retry: { default: { maxRetries: 5, delay: 100, multiplier: 2, maxDelay: 1000 } } });
    const r = await messenger.dispatch({ type: 'Flaky', payload: {} });
    assert.equal(r.status, 'completed');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(delays, [100, 200]);
    assert.equal(transport.handled[0]?.attempt, 3);
  });

  it('gives up after maxRetries retries (delays capped at maxDelay): rejects, and keeps a dead letter', async () => {
    const registry = new HandlerRegistry().register('Down', () => {
      throw new TypeError('still down');
    });
    const { messenger, delays, transport } = sync(registry, { retry: { Down: { maxRetries: 4, delay: 1000, multiplier: 3, maxDelay: 5000 } } });
    await assert.rejects(messenger.dispatch({ type: 'Down', payload: {} }), TypeError);
    assert.deepEqual(delays, [1000, 3000, 5000, 5000]);
    assert.equal(transport.deadLetters.length, 1);
    assert.deepEqual([transport.deadLetters[0]?.attempts, transport.deadLetters[0]?.errorClass], [5, 'TypeError']);
  });

  it('a non-retryable failure and an unknown type are final at once', async () => {
    let runs = 0;
    const registry = new HandlerRegistry().register('Bad', () => {
      runs++;
      throw new HandlerError('invalid', false);
    });
    const { messenger, delays, transport } = sync(registry);
    await assert.rejects(messenger.dispatch({ type: 'Bad', payload: {} }), { message: 'invalid' });
    await assert.rejects(messenger.dispatch({ type: 'Nobody', payload: {} }), { name: 'NoHandlerError' });
    assert.equal(runs, 1);
    assert.deepEqual(delays, []);
    assert.deepEqual(transport.deadLetters.map((d) => d.errorClass), ['HandlerError', 'NoHandlerError']);
  });

  it('the default retry policy comes from SYMPHONY_RETRY_*; real sleeps by default', async () => {
    let n = 0;
    const registry = new HandlerRegistry().register('Flaky', () => {
      if (++n < 3) throw new Error('x');
    });
    const transport = new SyncTransport({ registry, logger: silentLogger });
    const messenger = new Messenger({ env: { SYMPHONY_RETRY_MAX_RETRIES: '2', SYMPHONY_RETRY_DELAY: '20', SYMPHONY_RETRY_MULTIPLIER: '1' }, transport });
    const t0 = Date.now();
    await messenger.dispatch({ type: 'Flaky', payload: {} });
    assert.ok(Date.now() - t0 >= 35, 'two 20 ms waits');
    assert.equal(n, 3);
  });

  it('a repeated idempotency key runs nothing and reports the first message as a duplicate', async () => {
    let runs = 0;
    const registry = new HandlerRegistry().register('A', () => void runs++);
    const { messenger } = sync(registry);
    const a = await messenger.dispatch({ type: 'A', payload: {} }, { idempotencyKey: 'once' });
    const b = await messenger.dispatch({ type: 'A', payload: {} }, { idempotencyKey: 'once' });
    const c = await messenger.dispatch({ type: 'A', payload: {} }, { idempotencyKey: 'once', queue: 'other' });
    assert.equal(runs, 2);
    assert.deepEqual([b.messageId, b.duplicate, b.status], [a.messageId, true, 'completed']);
    assert.equal(c.duplicate, false, 'per queue');
  });

  it('dispatchBatch and routing fan-out under SyncTransport', async () => {
    const queues: string[] = [];
    const registry = new HandlerRegistry()
      .register('Ok', (_m, e) => void queues.push(e.queue))
      .register('Bad', () => {
        throw new HandlerError('no', false);
      });
    const { messenger } = sync(registry, { routing: { Ok: ['email', 'audit'] } });
    const results = await messenger.dispatchBatch([{ type: 'Ok', payload: {} }, { type: 'Bad', payload: {} }]);
    assert.deepEqual(results.map((r) => r.success), [true, false]);
    assert.deepEqual(queues, ['email', 'audit']);
    assert.deepEqual(results[0]?.success && results[0].envelopes.map((e) => e.queue), ['email', 'audit']);
  });
});

describe('the default Messenger', () => {
  after(() => resetMessenger());

  it('configure() replaces it; dispatch(), dispatchBatch() and the seeds config functions use it', async () => {
    const handled: string[] = [];
    const registry = new HandlerRegistry().register('EmailMessage', (_m, e) => void handled.push(e.queue));
    const m = configure({ env: {}, transport: new SyncTransport({ registry, logger: silentLogger }) });
    assert.equal(getMessenger(), m);
    setConfig({ routing: { EmailMessage: 'email' } });
    assert.deepEqual(getTransportsForMessageType('EmailMessage'), ['email']);
    const r = await dispatch({ type: 'EmailMessage', payload: {} }, { priority: 7 });
    assert.equal(r.status, 'completed');
    const batch = await dispatchBatch([{ type: 'EmailMessage', payload: {} }]);
    assert.equal(batch[0]?.success, true);
    assert.deepEqual(handled, ['email', 'email']);
    await resetMessenger();
    assert.notEqual(getMessenger(), m);
  });
});
