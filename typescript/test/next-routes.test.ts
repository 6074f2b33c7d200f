// symphony-messenger/next with a fake client: every route's shape and arguments, the figures'
// derivations, authorization, bad input, methods, how the path is found (Next 15's Promise
// params, older plain params, the URL alone) and the broker's failures. The real broker's
// documents go through the same routes in test/integration/next-routes.test.ts.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import {
  ConfigError,
  ErrorCode,
  ProtocolError,
  TransportError,
  type DeadLetterDetail,
  type DeadLetterSummary,
  type FailedListRequest,
  type FailedListResult,
  type HealthReport,
  type Overview,
} from '../src/index.js';
import {
  closeSymphonyClient,
  createSymphonyRoutes,
  getSymphonyClient,
  hasBearerSecret,
  secretsEqual,
  type RouteContext,
  type SymphonyRoutes,
  type SymphonyRoutesClient,
  type SymphonyRoutesOptions,
} from '../src/next/index.js';
import { processingPercentiles, windowFigures } from '../src/next/views.js';

// ---- fixtures: documents as the real broker writes them (one acked email, one dead sms) ----

function rates(r: Record<string, number | null>): Record<string, number | null> {
  return { dispatched: 0, acked: 0, retried: 0, dead_lettered: 0, expired: 0, dispatch_per_s: 0, ack_per_s: 0, success_rate: null, retry_rate: null, avg_processing_ms: null, ...r };
}

function queueDoc(q: Record<string, number>, window: Record<string, number | null>, minutes: number[]): Record<string, unknown> {
  const base = { ready: 0, delayed: 0, in_flight: 0, dead: 0, consumers: 0, dispatched_total: 0, delivered_total: 0, acked_total: 0, retried_total: 0, dead_lettered_total: 0, expired_total: 0, max_length: 0 };
  return { ...base, ...q, rates: Object.fromEntries(minutes.map((m) => [`${m}m`, rates(window)])) };
}

function overviewDoc(minutes: number): Overview {
  const m = minutes === 0 ? [1, 5, 60] : [minutes];
  const email = queueDoc(
    { ready: 3, delayed: 2, in_flight: 1, consumers: 1, dispatched_total: 10, delivered_total: 5, acked_total: 4, retried_total: 1, max_length: 6 },
    { dispatched: 10, acked: 4, retried: 1, dead_lettered: 0, dispatch_per_s: 10 / 3600, ack_per_s: 4 / 3600, success_rate: 1, retry_rate: 0.2, avg_processing_ms: 12.5 },
    m,
  );
  const sms = queueDoc(
    { dead: 1, dispatched_total: 1, delivered_total: 1, dead_lettered_total: 1 },
    { dispatched: 1, dead_lettered: 1, dispatch_per_s: 1 / 3600, success_rate: 0, retry_rate: 0, avg_processing_ms: 5 },
    m,
  );
  const totals = queueDoc(
    { ready: 3, delayed: 2, in_flight: 1, dead: 1, consumers: 1, dispatched_total: 11, delivered_total: 6, acked_total: 4, retried_total: 1, dead_lettered_total: 1 },
    { dispatched: 11, acked: 4, retried: 1, dead_lettered: 1, dispatch_per_s: 11 / 3600, ack_per_s: 4 / 3600, success_rate: 0.8, retry_rate: 1 / 6, avg_processing_ms: 11 },
    m,
  );
  delete totals['max_length'];
  return { time: '2026-01-02T03:04:05.000Z', queues: { email, sms }, totals, schedules: 2 };
}

const PROMETHEUS = [
  '# TYPE symphony_processing_seconds histogram',
  'symphony_processing_seconds_bucket{queue="email",le="0.005"} 0',
  'symphony_processing_seconds_bucket{queue="email",le="0.01"} 2',
  'symphony_processing_seconds_bucket{queue="email",le="0.025"} 4',
  'symphony_processing_seconds_bucket{queue="email",le="+Inf"} 4',
  'symphony_processing_seconds_sum{queue="email"} 0.05',
  'symphony_processing_seconds_count{queue="email"} 4',
  'symphony_processing_seconds_bucket{queue="sms",le="0.005"} 1',
  'symphony_processing_seconds_bucket{queue="sms",le="0.01"} 1',
  'symphony_processing_seconds_bucket{queue="sms",le="0.025"} 1',
  'symphony_processing_seconds_bucket{queue="sms",le="+Inf"} 1',
  'symphony_end_to_end_seconds_bucket{queue="sms",le="+Inf"} 99',
  '',
].join('\n');

const DEAD: DeadLetterSummary = {
  messageId: 42n,
  queue: 'sms',
  type: 'SMSMessage',
  priority: 5,
  createdAtMs: Date.UTC(2026, 0, 2, 3, 0, 0),
  failedAtMs: Date.UTC(2026, 0, 2, 3, 0, 1),
  attempts: 3,
  error: 'invalid number',
  errorClass: 'ValidationError',
};

class FakeClient implements SymphonyRoutesClient {
  calls: string[] = [];
  healthReport: HealthReport = { status: 'healthy', reasons: [], checks: { storage: 'ok' } };
  lastList: FailedListRequest | undefined;
  retried: Array<{ ids: readonly bigint[]; dryRun: boolean }> = [];
  dead = new Map<bigint, DeadLetterSummary>([[42n, DEAD]]);
  fail: Error | undefined;

  private check(name: string): void {
    this.calls.push(name);
    if (this.fail) throw this.fail;
  }
  async health(): Promise<HealthReport> {
    this.check('health');
    return this.healthReport;
  }
  async overview(minutes = 0): Promise<Overview> {
    this.check(`overview(${minutes})`);
    return overviewDoc(minutes);
  }
  async metrics(): Promise<string> {
    this.check('metrics');
    return PROMETHEUS;
  }
  async failedList(request: FailedListRequest = { limit: 100 }): Promise<FailedListResult> {
    this.check('failedList');
    this.lastList = request;
    return { total: BigInt(this.dead.size), items: [...this.dead.values()], nextCursorFailedAtMs: 1767322801000, nextCursorId: 42n };
  }
  async failedGet(id: bigint): Promise<DeadLetterDetail> {
    this.check(`failedGet(${id})`);
    const summary = this.dead.get(id);
    if (!summary) throw new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, `message ${id} is not a dead letter`);
    return {
      summary,
      failures: [{ attempt: 3, failedAtMs: summary.failedAtMs, error: summary.error, errorClass: summary.errorClass }],
      headers: [['message-type', summary.type], ['trace', 't1']],
      metadata: Buffer.from('{"source":"cron"}'),
      payload: Buffer.from('{"to":"+1234567890","message":"Hello from Symphony!"}'),
      idempotencyKey: 'k-42',
    };
  }
  async failedRetry(target: readonly bigint[] | unknown, options: { dryRun?: boolean } = {}) {
    this.check('failedRetry');
    const ids = target as readonly bigint[];
    this.retried.push({ ids, dryRun: options.dryRun ?? false });
    const known = ids.filter((id) => this.dead.has(id));
    if (!options.dryRun) for (const id of known) this.dead.delete(id);
    return { messageIds: known, failures: ids.filter((id) => !known.includes(id)).map((messageId) => ({ messageId, code: ErrorCode.UNKNOWN_MESSAGE })) };
  }
}

const quiet = { onError: () => undefined, env: {} } satisfies SymphonyRoutesOptions;

function routes(options: SymphonyRoutesOptions = {}, fake = new FakeClient()): { r: SymphonyRoutes; fake: FakeClient } {
  return { r: createSymphonyRoutes({ client: fake, ...quiet, ...options }), fake };
}

interface Sent {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
  headers: Headers;
}

type ParamsMode = 'promise' | 'plain' | 'none';

async function send(
  r: SymphonyRoutes,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; params?: ParamsMode; base?: string } = {},
): Promise<Sent> {
  const [pathname = '', query] = path.split('?');
  const url = `http://app.example${init.base ?? '/api/symphony'}/${pathname}${query === undefined ? '' : `?${query}`}`;
  const request = new Request(url, { method, ...(init.headers && { headers: init.headers }) });
  const mode = init.params ?? 'promise';
  const segments = mode === 'none' ? [] : pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const context: RouteContext | undefined =
    mode === 'promise' ? { params: Promise.resolve({ path: segments }) } : mode === 'plain' ? { params: { path: segments } } : undefined;
  const handler = method === 'POST' ? r.POST : method === 'GET' ? r.GET : r.handler;
  const res = await handler(request, context);
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

function assertError(res: Sent, status: number, error: string, field?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.length > 0);
  if (field !== undefined) assert.equal(res.body.field, field);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
}

describe('next routes: GET health', () => {
  it('{ health: { status, metrics: { queueDepth } } } from HEALTH and the overview', async () => {
    const { r, fake } = routes();
    const res = await send(r, 'GET', 'health');
    assert.equal(res.status, 200);
    assert.deepEqual(fake.calls.sort(), ['health', 'overview(1)']);
    assert.equal(res.body.health.status, 'healthy');
    assert.equal(res.body.health.healthy, true);
    assert.deepEqual(res.body.health.reasons, []);
    assert.deepEqual(res.body.health.checks, { storage: 'ok' });
    // totals: ready 3 + delayed 2 + in_flight 1
    assert.deepEqual(res.body.health.metrics, {
      queueDepth: 6, depth: 6, pending: 5, ready: 3, delayed: 2, processing: 1, failed: 1, consumers: 1, queues: 2, schedules: 2,
    });
    assert.equal(res.body.health.timestamp, '2026-01-02T03:04:05.000Z');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('degraded is 200, unhealthy 503, both in the same shape with the reasons', async () => {
    const { r, fake } = routes();
    fake.healthReport = { status: 'degraded', reasons: ["queue 'email' is at its max length 6"], checks: {} };
    let res = await send(r, 'GET', 'health');
    assert.equal(res.status, 200);
    assert.equal(res.body.health.status, 'degraded');
    assert.equal(res.body.health.healthy, true);
    assert.deepEqual(res.body.health.reasons, ["queue 'email' is at its max length 6"]);
    fake.healthReport = { status: 'unhealthy', reasons: ['shutting down'], checks: {} };
    res = await send(r, 'GET', 'health');
    assert.equal(res.status, 503);
    assert.equal(res.body.health.status, 'unhealthy');
    assert.equal(res.body.health.healthy, false);
    assert.equal(res.body.health.metrics.queueDepth, 6);
  });

  it('a broker out of reach: 503 broker_unavailable that still says health.status unhealthy', async () => {
    const errors: unknown[] = [];
    const { r, fake } = routes({ onError: (e) => errors.push(e) });
    fake.fail = new TransportError('connect', 'connect ECONNREFUSED 10.1.2.3:7400');
    const res = await send(r, 'GET', 'health');
    assertError(res, 503, 'broker_unavailable');
    assert.equal(res.body.health.status, 'unhealthy');
    assert.equal(res.body.health.healthy, false);
    assert.equal(res.body.health.metrics, null);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.doesNotMatch(JSON.stringify(res.body), /10\.1\.2\.3/, 'the address stays in the log');
    assert.equal(errors.length, 1);
  });
});

describe('next routes: GET metrics', () => {
  it('minutes=60 by default: the 60m window of the totals, how each figure is derived', async () => {
    const { r, fake } = routes();
    const res = await send(r, 'GET', 'metrics');
    assert.equal(res.status, 200);
    assert.deepEqual(fake.calls.sort(), ['metrics', 'overview(60)']);
    const m = res.body.metrics;
    assert.equal(m.minutes, 60);
    assert.equal(m.queue, null);
    assert.equal(m.successRate, 0.8);
    assert.ok(Math.abs(m.failureRate - 0.2) < 1e-12);
    assert.equal(m.retryRate, 1 / 6);
    assert.equal(m.averageProcessingTime, 11);
    assert.equal(m.messagesDispatched, 11);
    assert.equal(m.messagesSucceeded, 4);
    assert.equal(m.messagesFailed, 1);
    assert.equal(m.messagesProcessed, 5);
    assert.equal(m.messagesRetried, 1);
    assert.equal(m.dispatchRate, 11 / 3600);
    assert.equal(m.processingRate, 5 / 3600);
    assert.equal(m.queueDepth, 6);
    assert.deepEqual(Object.keys(m.queues).sort(), ['email', 'sms']);
    assert.equal(m.queues.sms.successRate, 0);
    assert.equal(m.queues.sms.failureRate, 1);
    // 5 samples: email 2 in (5, 10] ms and 2 in (10, 25] ms, sms 1 in (0, 5] ms
    assert.deepEqual(m.processingTimePercentiles, { p50: 8.75, p95: 23.125, p99: 24.625, samples: 5, since: 'broker_start' });
  });

  it('?minutes=5&queue=email: that window of that queue', async () => {
    const { r, fake } = routes();
    const res = await send(r, 'GET', 'metrics?minutes=5&queue=email');
    assert.equal(res.status, 200);
    assert.ok(fake.calls.includes('overview(5)'));
    const m = res.body.metrics;
    assert.equal(m.minutes, 5);
    assert.equal(m.queue, 'email');
    assert.equal(m.successRate, 1);
    assert.equal(m.failureRate, 0);
    assert.equal(m.averageProcessingTime, 12.5);
    assert.equal(m.processingRate, 4 / 300);
    assert.equal(m.queueDepth, 6);
    assert.deepEqual(Object.keys(m.queues), ['email']);
    assert.equal(m.processingTimePercentiles.samples, 4);
  });

  it('bad minutes and queues', async () => {
    const { r } = routes();
    for (const bad of ['0', '61', '1000', 'abc', '1.5', '-1', '', '+5', '1e1', ' 5']) {
      assertError(await send(r, 'GET', `metrics?minutes=${encodeURIComponent(bad)}`), 400, 'invalid_parameter', 'minutes');
    }
    assertError(await send(r, 'GET', 'metrics?queue=no%20spaces'), 400, 'invalid_parameter', 'queue');
    assertError(await send(r, 'GET', 'metrics?queue=nosuch'), 404, 'unknown_queue', 'queue');
    assert.equal((await send(r, 'GET', 'metrics?minutes=1')).status, 200);
  });

  it('windows with nothing settled: the rates are null, not 0 or 1', () => {
    const f = windowFigures({ dispatched: 3, dispatch_per_s: 0.05, success_rate: null, retry_rate: null, avg_processing_ms: null }, 1);
    assert.equal(f.successRate, null);
    assert.equal(f.failureRate, null);
    assert.equal(f.retryRate, null);
    assert.equal(f.averageProcessingTime, null);
    assert.equal(f.messagesDispatched, 3);
    assert.equal(f.processingRate, 0);
    assert.deepEqual(windowFigures(undefined, 60).successRate, null);
  });

  it('percentiles: none without samples, the top finite bound when over it', () => {
    assert.deepEqual(processingPercentiles(''), { p50: null, p95: null, p99: null, samples: 0, since: 'broker_start' });
    const slow = 'symphony_processing_seconds_bucket{queue="q",le="60"} 1\nsymphony_processing_seconds_bucket{queue="q",le="+Inf"} 10\n';
    assert.equal(processingPercentiles(slow).p50, 60_000);
    assert.equal(processingPercentiles(slow, 'other').samples, 0);
    // a label value with an escaped quote does not confuse the parser
    const odd = 'symphony_processing_seconds_bucket{queue="a\\"b",le="0.01"} 2\nsymphony_processing_seconds_bucket{queue="a\\"b",le="+Inf"} 2\n';
    assert.equal(processingPercentiles(odd, 'a"b').samples, 2);
  });
});

describe('next routes: GET status and queue-depth', () => {
  it('status: { queue: { depth, pending, ... } } summed, per queue, and the health status', async () => {
    const { r } = routes();
    const res = await send(r, 'GET', 'status');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'healthy');
    assert.deepEqual(res.body.queue, {
      depth: 6, pending: 5, ready: 3, delayed: 2, processing: 1, failed: 1, consumers: 1,
      completed: 4, dispatched: 11, delivered: 6, retried: 1, deadLettered: 1, expired: 0,
    });
    assert.equal(res.body.queues.email.depth, 6);
    assert.equal(res.body.queues.email.maxLength, 6);
    assert.equal(res.body.queues.sms.failed, 1);
    assert.equal(res.body.schedules, 2);
    assert.equal(res.body.timestamp, '2026-01-02T03:04:05.000Z');
  });

  it('queue-depth: every queue, with its max length and whether it is full; ?queue= for one', async () => {
    const { r } = routes();
    let res = await send(r, 'GET', 'queue-depth');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queues.email, { depth: 6, pending: 5, ready: 3, delayed: 2, processing: 1, failed: 0, consumers: 1, maxLength: 6, full: true });
    assert.deepEqual(res.body.queues.sms, { depth: 0, pending: 0, ready: 0, delayed: 0, processing: 0, failed: 1, consumers: 0, maxLength: 0, full: false });
    assert.equal(res.body.total.depth, 6);
    res = await send(r, 'GET', 'queue-depth?queue=sms');
    assert.deepEqual(Object.keys(res.body.queues), ['sms']);
    assert.equal(res.body.total.failed, 1);
    assert.equal(res.body.total.maxLength, undefined);
    assertError(await send(r, 'GET', 'queue-depth?queue=nosuch'), 404, 'unknown_queue', 'queue');
    assertError(await send(r, 'GET', 'status?minutes=5'), 400, 'invalid_parameter', 'minutes');
  });
});

describe('next routes: failed', () => {
  it('GET failed: { messages } with limit 50 by default, ids as strings, the next cursor', async () => {
    const { r, fake } = routes();
    const res = await send(r, 'GET', 'failed');
    assert.equal(res.status, 200);
    assert.deepEqual(fake.lastList, { filter: {}, cursorFailedAtMs: 0, cursorId: 0n, limit: 50 });
    assert.deepEqual(res.body.messages, [
      {
        id: '42', messageId: '42', queue: 'sms', type: 'SMSMessage', priority: 5, error: 'invalid number', errorClass: 'ValidationError',
        attempts: 3, retryCount: 2, createdAt: '2026-01-02T03:00:00.000Z', failedAt: '2026-01-02T03:00:01.000Z',
      },
    ]);
    assert.equal(res.body.total, 1);
    assert.equal(res.body.count, 1);
    assert.equal(res.body.nextCursor, '1767322801000-42');
  });

  it('GET failed?limit&cursor&queue&type&errorClass reach FAILED_LIST', async () => {
    const { r, fake } = routes();
    const res = await send(r, 'GET', 'failed?limit=10&cursor=1767322801000-42&queue=sms&type=SMSMessage&errorClass=ValidationError');
    assert.equal(res.status, 200);
    assert.deepEqual(fake.lastList, {
      filter: { queue: 'sms', type: 'SMSMessage', errorClass: 'ValidationError' },
      cursorFailedAtMs: 1767322801000,
      cursorId: 42n,
      limit: 10,
    });
    assert.equal((await send(r, 'GET', 'failed?limit=1000')).status, 200);
  });

  it('bad limits, cursors and filters are 400s that name the parameter', async () => {
    const { r, fake } = routes();
    for (const bad of ['0', '1001', 'x', '-5', '10.0', '']) {
      assertError(await send(r, 'GET', `failed?limit=${bad}`), 400, 'invalid_parameter', 'limit');
    }
    assertError(await send(r, 'GET', 'failed?cursor=abc'), 400, 'invalid_parameter', 'cursor');
    assertError(await send(r, 'GET', 'failed?type='), 400, 'invalid_parameter', 'type');
    assertError(await send(r, 'GET', 'failed?queue=a/b'), 400, 'invalid_parameter', 'queue');
    assertError(await send(r, 'GET', 'failed?limt=5'), 400, 'invalid_parameter', 'limt');
    assertError(await send(r, 'GET', 'failed?limit=5&limit=6'), 400, 'invalid_parameter', 'limit');
    assert.deepEqual(fake.calls, [], 'bad input never reaches the broker');
  });

  it('GET failed/{id}: the dead letter with its failures, headers, payload and metadata', async () => {
    const { r } = routes();
    const res = await send(r, 'GET', 'failed/42');
    assert.equal(res.status, 200);
    assert.equal(res.body.message.id, '42');
    assert.deepEqual(res.body.message.failures, [{ attempt: 3, failedAt: '2026-01-02T03:00:01.000Z', error: 'invalid number', errorClass: 'ValidationError' }]);
    assert.deepEqual(res.body.message.headers, [['message-type', 'SMSMessage'], ['trace', 't1']]);
    assert.deepEqual(res.body.message.payload, { to: '+1234567890', message: 'Hello from Symphony!' });
    assert.deepEqual(res.body.message.metadata, { source: 'cron' });
    assert.equal(res.body.message.idempotencyKey, 'k-42');
    assertError(await send(r, 'GET', 'failed/7'), 404, 'not_found', 'id');
  });

  it('POST failed/{id}/retry: back to its queue; then it is no dead letter any more (404)', async () => {
    const { r, fake } = routes();
    let res = await send(r, 'POST', 'failed/42/retry?dryRun=true');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, retried: false, dryRun: true, messageId: '42', queue: 'sms', type: 'SMSMessage' });
    res = await send(r, 'POST', 'failed/42/retry');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, retried: true, dryRun: false, messageId: '42', queue: 'sms', type: 'SMSMessage' });
    assert.deepEqual(fake.retried, [{ ids: [42n], dryRun: true }, { ids: [42n], dryRun: false }]);
    assertError(await send(r, 'POST', 'failed/42/retry'), 404, 'not_found', 'id');
    assertError(await send(r, 'POST', 'failed/42/retry?dryRun=maybe'), 400, 'invalid_parameter', 'dryRun');
  });

  it('a dead letter retried by someone else between the read and the retry: 404', async () => {
    const fake = new FakeClient();
    const realRetry = fake.failedRetry.bind(fake);
    fake.failedRetry = async (target, options) => {
      fake.dead.delete(42n);
      return realRetry(target, options);
    };
    const { r } = routes({}, fake);
    assertError(await send(r, 'POST', 'failed/42/retry'), 404, 'not_found', 'id');
  });

  it('bad ids: 400 invalid_id before the broker is asked', async () => {
    const { r, fake } = routes();
    for (const bad of ['abc', '0', '-1', '01', '1.5', '18446744073709551616', '99999999999999999999999', ' 1']) {
      assertError(await send(r, 'POST', `failed/${encodeURIComponent(bad)}/retry`), 400, 'invalid_id', 'id');
      assertError(await send(r, 'GET', `failed/${encodeURIComponent(bad)}`), 400, 'invalid_id', 'id');
    }
    assert.deepEqual(fake.calls, []);
    // the largest u64 is an id
    assertError(await send(r, 'GET', 'failed/18446744073709551615'), 404, 'not_found');
  });
});

describe('next routes: authorization', () => {
  it('a secret option: Bearer required, compared in constant time; 401 with WWW-Authenticate', async () => {
    const { r, fake } = routes({ secret: 's3cret' });
    let res = await send(r, 'GET', 'health');
    assertError(res, 401, 'unauthorized');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assertError(await send(r, 'GET', 'health', { headers: { Authorization: 'Bearer wrong' } }), 401, 'unauthorized');
    assertError(await send(r, 'GET', 'health', { headers: { Authorization: 'Bearer s3cret2' } }), 401, 'unauthorized');
    assertError(await send(r, 'GET', 'health', { headers: { Authorization: 'Basic s3cret' } }), 401, 'unauthorized');
    assertError(await send(r, 'GET', 'health', { headers: { Authorization: 's3cret' } }), 401, 'unauthorized');
    assert.deepEqual(fake.calls, []);
    assert.equal((await send(r, 'GET', 'health', { headers: { Authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await send(r, 'GET', 'health', { headers: { Authorization: 'bearer  s3cret ' } })).status, 200);
  });

  it('refused before routing: an unknown path or a wrong method is still a 401', async () => {
    const { r } = routes({ secret: 's3cret' });
    assertError(await send(r, 'GET', 'nosuch'), 401, 'unauthorized');
    assertError(await send(r, 'POST', 'health'), 401, 'unauthorized');
    assertError(await send(r, 'POST', 'failed/42/retry'), 401, 'unauthorized');
  });

  it('SYMPHONY_ROUTES_SECRET from the environment, read per request; the option wins over it', async () => {
    const env: Record<string, string | undefined> = { SYMPHONY_ROUTES_SECRET: 'from-env' };
    const { r } = routes({ env });
    assertError(await send(r, 'GET', 'status'), 401, 'unauthorized');
    assert.equal((await send(r, 'GET', 'status', { headers: { Authorization: 'Bearer from-env' } })).status, 200);
    env['SYMPHONY_ROUTES_SECRET'] = 'rotated';
    assertError(await send(r, 'GET', 'status', { headers: { Authorization: 'Bearer from-env' } }), 401, 'unauthorized');
    const { r: r2 } = routes({ env, secret: 'option' });
    assert.equal((await send(r2, 'GET', 'status', { headers: { Authorization: 'Bearer option' } })).status, 200);
    assertError(await send(r2, 'GET', 'status', { headers: { Authorization: 'Bearer rotated' } }), 401, 'unauthorized');
  });

  it('no secret anywhere (an empty variable counts as unset): open', async () => {
    assert.equal((await send(routes({ env: {} }).r, 'GET', 'status')).status, 200);
    assert.equal((await send(routes({ env: { SYMPHONY_ROUTES_SECRET: '' } }).r, 'GET', 'status')).status, 200);
  });

  it('an empty secret option is a ConfigError, not an open door', () => {
    assert.throws(() => createSymphonyRoutes({ secret: '' }), (e: unknown) => e instanceof ConfigError && e.setting === 'secret');
  });

  it('a custom authorize overrides the secret: true, false (401) or its own Response', async () => {
    const seen: Request[] = [];
    let verdict: boolean | Response = false;
    const { r } = routes({
      secret: 'ignored',
      env: { SYMPHONY_ROUTES_SECRET: 'ignored too' },
      authorize: async (request) => {
        seen.push(request);
        return verdict;
      },
    });
    assertError(await send(r, 'GET', 'health', { headers: { Authorization: 'Bearer ignored' } }), 401, 'unauthorized');
    verdict = true;
    assert.equal((await send(r, 'GET', 'health')).status, 200);
    verdict = new Response('{"error":"forbidden","message":"admins only"}', { status: 403, headers: { 'Content-Type': 'application/json' } });
    assertError(await send(r, 'GET', 'health'), 403, 'forbidden');
    assert.equal(seen.length, 3);
    assert.equal(new URL(seen[0]?.url ?? '').pathname, '/api/symphony/health');
  });

  it('an authorize that throws is a 500, and the error is reported', async () => {
    const errors: unknown[] = [];
    const { r } = routes({ authorize: () => { throw new Error('session store down'); }, onError: (e) => errors.push(e) });
    const res = await send(r, 'GET', 'health');
    assertError(res, 500, 'internal_error');
    assert.doesNotMatch(res.body.message, /session store/);
    assert.equal(errors.length, 1);
  });

  it('hasBearerSecret and secretsEqual', () => {
    const req = (h?: string): Request => new Request('http://x/', h === undefined ? {} : { headers: { Authorization: h } });
    assert.equal(hasBearerSecret(req('Bearer abc'), 'abc'), true);
    assert.equal(hasBearerSecret(req('Bearer abc'), ''), false);
    assert.equal(hasBearerSecret(req('Bearer abc'), undefined), false);
    assert.equal(hasBearerSecret(req(), 'abc'), false);
    assert.equal(hasBearerSecret(req('Bearer '), ''), false);
    assert.equal(secretsEqual('a', 'a'), true);
    assert.equal(secretsEqual('a', 'ab'), false);
    assert.equal(secretsEqual('', ''), true);
  });

  it('a cross-site POST is refused (403); same-origin and scripts pass', async () => {
    const { r, fake } = routes();
    assertError(await send(r, 'POST', 'failed/42/retry', { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'cross_site', 'Sec-Fetch-Site');
    assertError(await send(r, 'POST', 'failed/42/retry', { headers: { 'Sec-Fetch-Site': 'same-site' } }), 403, 'cross_site');
    assert.deepEqual(fake.calls, []);
    assert.equal((await send(r, 'POST', 'failed/42/retry?dryRun=1', { headers: { 'Sec-Fetch-Site': 'same-origin' } })).status, 200);
    assert.equal((await send(r, 'POST', 'failed/42/retry?dryRun=1')).status, 200);
  });
});

describe('next routes: paths and methods', () => {
  it('unknown paths are 404 not_found', async () => {
    const { r } = routes();
    for (const p of ['', 'nosuch', 'health/extra', 'failed/42/retry/now', 'failed/42/delete', 'HEALTH']) {
      assertError(await send(r, 'GET', p), 404, 'not_found');
    }
  });

  it('a wrong method is 405 with Allow', async () => {
    const { r, fake } = routes();
    let res = await send(r, 'POST', 'health');
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    res = await send(r, 'GET', 'failed/42/retry');
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'POST');
    for (const m of ['PUT', 'DELETE', 'PATCH']) assertError(await send(r, m, 'failed'), 405, 'method_not_allowed');
    assert.deepEqual(fake.calls, []);
  });

  it('HEAD answers like GET without a body', async () => {
    const { r } = routes();
    const res = await send(r, 'HEAD', 'health');
    assert.equal(res.status, 200);
    assert.equal(res.body, undefined);
    assert.match(res.headers.get('content-type') ?? '', /json/);
  });

  it('params as a Promise (Next 15), a plain object (Next 13/14), or none (the URL)', async () => {
    const { r } = routes();
    for (const params of ['promise', 'plain', 'none'] as const) {
      const res = await send(r, 'GET', 'metrics?minutes=5', { params });
      assert.equal(res.status, 200, params);
      assert.equal(res.body.metrics.minutes, 5);
      assert.equal((await send(r, 'POST', 'failed/42/retry?dryRun=true', { params })).body.messageId, '42', params);
    }
  });

  it('params win over the URL; a catch-all of another name; a single-segment string', async () => {
    const { r } = routes();
    const req = new Request('http://app.example/somewhere/else', { method: 'GET' });
    let res = await r.GET(req, { params: Promise.resolve({ path: ['status'] }) });
    assert.equal(res.status, 200);
    res = await r.GET(req, { params: { slug: ['queue-depth'], tenant: 'acme' } });
    assert.ok('queues' in ((await res.json()) as object));
    res = await r.GET(req, { params: { path: 'health' } });
    assert.equal(res.status, 200);
  });

  it('a context that is not Next\'s shape counts as none: the URL decides', async () => {
    const { r } = routes();
    const req = (): Request => new Request('http://app.example/api/symphony/status');
    for (const context of [undefined, null, 42, 'x', {}, { params: null }, { params: 7 }, { params: Promise.resolve(undefined) }, { params: { path: [1, 2] } }]) {
      const res = await r.GET(req(), context);
      assert.equal(res.status, 200, JSON.stringify(context));
    }
  });

  it('without params: the basePath option, and a URL outside it', async () => {
    const { r } = routes({ basePath: '/admin/queue/' });
    assert.equal((await send(r, 'GET', 'status', { params: 'none', base: '/admin/queue' })).status, 200);
    assertError(await send(r, 'GET', 'status', { params: 'none' }), 404, 'not_found');
    assertError(await send(r, 'GET', '%E0%A4%A/status', { params: 'none', base: '/admin/queue' }), 400, 'invalid_path');
  });
});

describe('next routes: the broker failing', () => {
  const cases: Array<[string, Error, number, string]> = [
    ['unreachable', new TransportError('connect', 'connect ECONNREFUSED 127.0.0.1:7400'), 503, 'broker_unavailable'],
    ['lost', new TransportError('lost', 'socket closed'), 503, 'broker_unavailable'],
    ['timeout', new TransportError('timeout', 'no reply in 30000 ms'), 503, 'broker_unavailable'],
    ['shutting down', new ProtocolError(ErrorCode.SHUTTING_DOWN, 'bye'), 503, 'broker_unavailable'],
    ['too many connections', new ProtocolError(ErrorCode.TOO_MANY_CONNECTIONS, 'full'), 503, 'broker_unavailable'],
    ['a wrong SYMPHONY_TOKEN', new ProtocolError(ErrorCode.AUTH_FAILED, 'bad token'), 502, 'broker_auth_failed'],
    ['a protocol mismatch', new ProtocolError(ErrorCode.UNKNOWN_OPCODE, 'what'), 502, 'broker_error'],
    ['a refused argument', new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'minutes over 60'), 400, 'invalid_parameter'],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')"), 500, 'internal_error'],
    ['a bad setting', new ConfigError('SYMPHONY_URL', 'unknown scheme'), 500, 'configuration_error'],
  ];
  for (const [what, error, status, code] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      const errors: unknown[] = [];
      const { r, fake } = routes({ onError: (e) => errors.push(e) });
      fake.fail = error;
      for (const path of ['status', 'queue-depth', 'metrics', 'failed']) {
        const res = await send(r, 'GET', path);
        assertError(res, status, code);
        assert.doesNotMatch(res.body.message, /127\.0\.0\.1|undefined \(reading/, 'details stay in the log');
      }
      assertError(await send(r, 'POST', 'failed/42/retry'), status, code);
      assert.equal(errors.length, status >= 500 ? 5 : 0);
    });
  }

  it('the client as a function, called per request; its failure is a 5xx too', async () => {
    let made = 0;
    const fake = new FakeClient();
    const r = createSymphonyRoutes({ ...quiet, client: async () => (made++, fake) });
    await send(r, 'GET', 'status');
    await send(r, 'GET', 'health');
    assert.equal(made, 2);
    const broken = createSymphonyRoutes({ ...quiet, client: () => { throw new ConfigError('SYMPHONY_URL', 'bad'); } });
    assertError(await send(broken, 'GET', 'status'), 500, 'configuration_error', 'SYMPHONY_URL');
  });

  it('by default the shared client; a broker that is not there is a 503', async () => {
    await closeSymphonyClient();
    // the shared client is made by the first call: make it point at a closed port, no retries
    const shared = getSymphonyClient({ url: 'symphony://127.0.0.1:1', env: {}, reconnectAttempts: 0 });
    assert.equal(getSymphonyClient(), shared, 'one per process');
    try {
      const r = createSymphonyRoutes(quiet);
      const res = await send(r, 'GET', 'health');
      assertError(res, 503, 'broker_unavailable');
      assert.equal(res.body.health.status, 'unhealthy');
    } finally {
      await closeSymphonyClient(100);
    }
    assert.notEqual(getSymphonyClient({ env: {} }), shared, 'a new one after close');
    await closeSymphonyClient(100);
  });
});
