// symphony-messenger/next against the real broker: the JSON the routes answer after some traffic
// (the seeds' email, campaign and SMS messages; one SMS dead-lettered with a fatal NACK), then the
// dead letter retried through POST failed/{id}/retry and found back in its queue, then the
// broker gone (503). PRINT_ROUTE_EXAMPLES=1 prints every response body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EnvelopeStatus, SymphonyClient, type ClientOptions } from '../../src/index.js';
import { createSymphonyRoutes, type SymphonyRoutes } from '../../src/next/index.js';
import { Broker } from '../support/broker.js';
import { Inbox } from '../support/receive.js';

const T = { timeout: 30_000 };
const SECRET = 'integration-secret';

describe('symphonyd: Next.js monitoring routes', () => {
  let broker: Broker;
  let client: SymphonyClient;
  let routes: SymphonyRoutes;
  const clients: SymphonyClient[] = [];
  const errors: unknown[] = [];
  let smsId = 0n;

  async function connect(options: ClientOptions = {}): Promise<SymphonyClient> {
    const c = await SymphonyClient.connect({ url: broker.url, env: {}, clientName: 'ts-next-routes', ...options });
    clients.push(c);
    return c;
  }

  /** A request as Next 15 makes it: the catch-all segments as a Promise. */
  async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string> = { Authorization: `Bearer ${SECRET}` }) {
    const [pathname = ''] = path.split('?');
    const request = new Request(`http://localhost:3000/api/symphony/${path}`, { method, headers });
    const res = await routes[method](request, { params: Promise.resolve({ path: pathname.split('/') }) });
    const body = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
    if (process.env['PRINT_ROUTE_EXAMPLES']) console.log(`${method} ${path} -> ${res.status}\n${JSON.stringify(body, null, 2)}`);
    return { status: res.status, body, headers: res.headers };
  }

  before(async () => {
    broker = await Broker.start();
    // few reconnect attempts, so the "broker gone" case answers quickly
    client = await connect({ reconnectAttempts: 1, reconnectDelayMs: 10 });
    routes = createSymphonyRoutes({ client, secret: SECRET, onError: (e) => errors.push(e) });

    // the seeds' routing: EmailMessage -> email (priority 7), CampaignMessage and SMSMessage -> async
    const email = (n: number) => client.dispatch(
      { type: 'EmailMessage', payload: { emailId: `email-${n}`, userId: 'user-456', mailboxId: 'mailbox-789', toEmail: 'recipient@example.com', subject: 'Hello', html: '<p>World</p>' } },
      { queue: 'email', priority: 7 },
    );
    await Promise.all([email(1), email(2)]);
    await client.dispatch({ type: 'CampaignMessage', payload: { campaignId: 'campaign-123', userId: 'user-456', action: 'process' } }, { queue: 'async' });
    smsId = (await client.dispatch({ type: 'SMSMessage', payload: { to: '+1234567890', message: 'Hello from Symphony!' }, headers: { 'x-drip': 'welcome-1' } }, { queue: 'async' })).id;

    // a worker: everything succeeds but the SMS, which fails for good
    const worker = await connect();
    const inbox = new Inbox(worker);
    await worker.subscribe(['email', 'async'], 10);
    for (const d of await inbox.take(4)) {
      if (d.type === 'SMSMessage') await worker.nack(d.id, 'fatal', 'invalid phone number', 'ValidationError');
      else await worker.ack(d.id);
    }
    await worker.close();

    // left waiting: two ready emails and one delayed for a minute
    await Promise.all([email(3), email(4), client.dispatch({ type: 'EmailMessage', payload: { emailId: 'email-5' } }, { queue: 'email', delayMs: 60_000 })]);
  });

  after(async () => {
    for (const c of clients) await c.close({ timeoutMs: 1000 });
    await broker?.dispose();
  });

  it('GET health: { health: { status, metrics: { queueDepth } } }', T, async () => {
    const { status, body } = await call('GET', 'health');
    assert.equal(status, 200);
    assert.equal(body.health.status, 'healthy');
    assert.equal(body.health.healthy, true);
    assert.deepEqual(body.health.reasons, []);
    assert.equal(body.health.checks.storage, 'ok');
    assert.equal(body.health.metrics.queueDepth, 3);
    assert.equal(body.health.metrics.pending, 3);
    assert.equal(body.health.metrics.ready, 2);
    assert.equal(body.health.metrics.delayed, 1);
    assert.equal(body.health.metrics.processing, 0);
    assert.equal(body.health.metrics.failed, 1);
    assert.equal(body.health.metrics.queues, 2);
    assert.ok(!Number.isNaN(Date.parse(body.health.timestamp)));
  });

  it('GET metrics?minutes=60: { metrics: { successRate, averageProcessingTime } } of the last hour', T, async () => {
    const { status, body } = await call('GET', 'metrics?minutes=60');
    assert.equal(status, 200);
    const m = body.metrics;
    assert.equal(m.minutes, 60);
    assert.equal(m.messagesDispatched, 7);
    assert.equal(m.messagesSucceeded, 3);
    assert.equal(m.messagesFailed, 1);
    assert.equal(m.messagesProcessed, 4);
    assert.equal(m.successRate, 0.75); // 3 acked / (3 acked + 1 dead-lettered)
    assert.equal(m.failureRate, 0.25);
    assert.equal(m.retryRate, 0);
    assert.equal(typeof m.averageProcessingTime, 'number');
    assert.ok(m.averageProcessingTime >= 0 && m.averageProcessingTime < 5000);
    assert.equal(m.dispatchRate, 7 / 3600);
    assert.equal(m.processingRate, 4 / 3600);
    assert.equal(m.queueDepth, 3);
    assert.equal(m.queues.email.successRate, 1);
    assert.equal(m.queues.async.successRate, 0.5);
    assert.equal(m.processingTimePercentiles.samples, 4, 'the Prometheus histogram counted the 4 settled attempts');
    assert.equal(typeof m.processingTimePercentiles.p95, 'number');
  });

  it('GET metrics?minutes=5&queue=email: one queue, one window', T, async () => {
    const { status, body } = await call('GET', 'metrics?minutes=5&queue=email');
    assert.equal(status, 200);
    assert.equal(body.metrics.queue, 'email');
    assert.equal(body.metrics.successRate, 1);
    assert.equal(body.metrics.messagesDispatched, 5);
    assert.deepEqual(Object.keys(body.metrics.queues), ['email']);
    assert.equal(body.metrics.processingTimePercentiles.samples, 2);
  });

  it('GET status: { queue: { depth, pending } } and per queue', T, async () => {
    const { status, body } = await call('GET', 'status');
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.equal(body.queue.depth, 3);
    assert.equal(body.queue.pending, 3);
    assert.equal(body.queue.completed, 3);
    assert.equal(body.queue.failed, 1);
    assert.equal(body.queue.dispatched, 7);
    assert.equal(body.queues.email.depth, 3);
    assert.equal(body.queues.email.maxLength, 0);
    assert.equal(body.queues.async.failed, 1);
    assert.equal(body.schedules, 0);
  });

  it('GET queue-depth: per queue', T, async () => {
    const { status, body } = await call('GET', 'queue-depth');
    assert.equal(status, 200);
    assert.deepEqual(body.queues.email, { depth: 3, pending: 3, ready: 2, delayed: 1, processing: 0, failed: 0, consumers: 0, maxLength: 0, full: false });
    assert.deepEqual(body.queues.async, { depth: 0, pending: 0, ready: 0, delayed: 0, processing: 0, failed: 1, consumers: 0, maxLength: 0, full: false });
    assert.equal(body.total.depth, 3);
    const one = await call('GET', 'queue-depth?queue=async');
    assert.deepEqual(Object.keys(one.body.queues), ['async']);
    assert.equal((await call('GET', 'queue-depth?queue=nosuch')).status, 404);
  });

  it('GET failed?limit=50: { messages } with the dead SMS; failed/{id} with its payload', T, async () => {
    const { status, body } = await call('GET', 'failed?limit=50');
    assert.equal(status, 200);
    assert.equal(body.total, 1);
    assert.equal(body.nextCursor, null);
    assert.equal(body.messages.length, 1);
    const [m] = body.messages;
    assert.equal(m.id, String(smsId));
    assert.equal(m.queue, 'async');
    assert.equal(m.type, 'SMSMessage');
    assert.equal(m.error, 'invalid phone number');
    assert.equal(m.errorClass, 'ValidationError');
    assert.equal(m.attempts, 1);
    assert.equal(m.retryCount, 0);
    const detail = await call('GET', `failed/${smsId}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.message.payload, { to: '+1234567890', message: 'Hello from Symphony!' });
    assert.equal(detail.body.message.failures.length, 1);
    assert.deepEqual(detail.body.message.headers, [['x-drip', 'welcome-1']]); // the ones the producer gave
    assert.equal((await call('GET', 'failed?limit=50&queue=email')).body.total, 0);
  });

  it('refused: no bearer, a cross-site POST, a bad id', T, async () => {
    assert.equal((await call('GET', 'status', {})).status, 401);
    assert.equal((await call('POST', `failed/${smsId}/retry`, { Authorization: `Bearer ${SECRET}`, 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    assert.equal((await call('POST', 'failed/abc/retry')).status, 400);
    assert.equal((await call('POST', 'failed/999999/retry')).status, 404);
    assert.equal((await call('GET', 'metrics?minutes=61')).status, 400);
    // still a dead letter after all that
    assert.equal((await client.messageStatus(smsId))[0]?.status, EnvelopeStatus.FAILED);
  });

  it('POST failed/{id}/retry: the SMS is back in its queue, attempts reset, and is delivered again', T, async () => {
    const dry = await call('POST', `failed/${smsId}/retry?dryRun=true`);
    assert.equal(dry.status, 200);
    assert.equal(dry.body.retried, false);
    assert.equal((await client.messageStatus(smsId))[0]?.status, EnvelopeStatus.FAILED, 'a dry run moves nothing');

    const { status, body } = await call('POST', `failed/${smsId}/retry`, { Authorization: `Bearer ${SECRET}`, 'Sec-Fetch-Site': 'same-origin' });
    assert.equal(status, 200);
    assert.deepEqual(body, { success: true, retried: true, dryRun: false, messageId: String(smsId), queue: 'async', type: 'SMSMessage' });

    const [s] = await client.messageStatus(smsId);
    assert.equal(s?.status, EnvelopeStatus.PENDING);
    assert.equal(s?.queue, 'async');
    assert.equal(s?.attempts, 0);
    const depth = await call('GET', 'queue-depth?queue=async');
    assert.equal(depth.body.queues.async.ready, 1);
    assert.equal(depth.body.queues.async.failed, 0);
    assert.equal((await call('GET', 'failed')).body.total, 0);
    assert.equal((await call('GET', `failed/${smsId}`)).status, 404);
    assert.equal((await call('POST', `failed/${smsId}/retry`)).status, 404, 'not a dead letter any more');

    const worker = await connect();
    const inbox = new Inbox(worker);
    await worker.subscribe('async', 1);
    const [d] = await inbox.take(1);
    assert.equal(d?.id, smsId);
    assert.equal(d?.attempt, 1);
    assert.deepEqual(d?.payload, { to: '+1234567890', message: 'Hello from Symphony!' });
    await worker.ack(d?.id ?? 0n);
    assert.equal((await client.messageStatus(smsId))[0]?.status, EnvelopeStatus.COMPLETED);
    assert.deepEqual(errors, []);
  });

  it('the broker gone: 503 broker_unavailable, health still in its shape', T, async () => {
    await broker.stop();
    const health = await call('GET', 'health');
    assert.equal(health.status, 503);
    assert.equal(health.body.error, 'broker_unavailable');
    assert.equal(health.body.health.status, 'unhealthy');
    const status = await call('GET', 'status');
    assert.equal(status.status, 503);
    assert.equal(status.headers.get('retry-after'), '5');
    assert.ok(errors.length >= 2, 'each 503 was reported to onError');
  });
});
