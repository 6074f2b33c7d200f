// The figures have one implementation (src/messenger/figures.ts): the Messenger's operations and
// the Next.js routes' views must give the same numbers from the same documents, and the boolean
// settings one parser. The views' own shapes are pinned in next-routes.test.ts.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { ConfigError, isEnabled, MessageValidationError, resolveConnectionConfig, type DeadLetterSummary, type HealthReport, type Overview } from '../src/index.js';
import { FailedMessages } from '../src/messenger/failed-messages.js';
import { Operations, type OperationsClient } from '../src/messenger/operations.js';
import { failedDetailView, failedListView, healthView, metricsView, statusView } from '../src/next/views.js';

const rates = { dispatched: 11, acked: 4, retried: 1, dead_lettered: 1, expired: 2, dispatch_per_s: 11 / 300, success_rate: 0.8, retry_rate: 1 / 6, avg_processing_ms: 11 };
const queue = { ready: 3, delayed: 2, in_flight: 1, dead: 1, consumers: 1, acked_total: 4, dispatched_total: 11, max_length: 6, rates: { '5m': rates } };
const OVERVIEW: Overview = { time: '2026-01-02T03:04:05.000Z', queues: { email: queue }, totals: queue, schedules: 2 };
const REPORT: HealthReport = { status: 'degraded', reasons: ['disk'], checks: { storage: 'ok' } };
const DEAD: DeadLetterSummary = { messageId: 42n, queue: 'sms', type: 'SMSMessage', priority: 5, createdAtMs: 1_000, failedAtMs: 2_000, attempts: 3, error: 'bad', errorClass: 'ValidationError' };
const LIST = { total: 1n, items: [DEAD], nextCursorFailedAtMs: 2_000, nextCursorId: 42n };
const DETAIL = { summary: DEAD, failures: [{ attempt: 3, failedAtMs: 2_000, error: 'bad', errorClass: 'ValidationError' }], headers: [['k', 'v']] as Array<[string, string]>, metadata: Buffer.alloc(0), payload: Buffer.from('{"a":1}'), idempotencyKey: 'k' };

function fakeClient(): OperationsClient & { lists: unknown[] } {
  const lists: unknown[] = [];
  const c = {
    lists,
    health: async () => REPORT,
    overview: async () => OVERVIEW,
    metrics: async () => '',
    messageStatus: async () => [],
    failedList: async (r: unknown) => (lists.push(r), LIST),
    failedGet: async () => DETAIL,
    failedRetry: async () => ({ messageIds: [], failures: [] }),
    failedDelete: async () => ({ messageIds: [], failures: [] }),
  };
  return c as unknown as OperationsClient & { lists: unknown[] };
}

/** The view's JSON, as a client of the route reads it. */
function json(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

describe('figures: the operations and the routes agree', () => {
  const ops = new Operations(fakeClient);

  it('health, status and metrics', async () => {
    assert.deepEqual(json(await ops.health()), json(healthView(REPORT, OVERVIEW).health));
    const { status: _s, reasons: _r, ...status } = statusView(REPORT, OVERVIEW);
    assert.deepEqual(await ops.status(), status);
    const m = await ops.metrics({ minutes: 5, queue: 'email' });
    const { processingTimePercentiles: _p, ...view } = metricsView(OVERVIEW, '', 5, 'email').metrics;
    assert.deepEqual(m, view);
    assert.ok(m.failureRate !== null && Math.abs(m.failureRate - 0.2) < 1e-12, 'failureRate in both');
  });

  it('failed messages: the same rows and cursor, dates as ISO strings in the views', async () => {
    const client = fakeClient();
    const failed = new FailedMessages(() => client);
    const page = await failed.list();
    const { count, ...list } = failedListView(LIST);
    assert.equal(count, 1);
    assert.deepEqual(json(page), list);
    assert.equal(page.nextCursor, '2000-42');
    const detail = await failed.get('42');
    const view = failedDetailView(DETAIL).message;
    assert.deepEqual(json({ ...detail, headers: undefined, metadata: undefined }), json({ ...view, headers: undefined, metadata: undefined }));
    assert.deepEqual([detail?.headers, detail?.metadata, view.headers, view.metadata], [{ k: 'v' }, undefined, [['k', 'v']], null]);
  });

  it('a cursor is checked the same way on both sides', async () => {
    const client = fakeClient();
    const failed = new FailedMessages(() => client);
    await failed.list({ cursor: '2000-42', limit: 10 });
    assert.deepEqual(client.lists, [{ filter: {}, limit: 10, cursorFailedAtMs: 2000, cursorId: 42n }]);
    for (const bad of ['abc', '1-18446744073709551616', '99999999999999999-1']) {
      await assert.rejects(failed.list({ cursor: bad }), MessageValidationError, bad);
    }
    assert.equal(client.lists.length, 1, 'nothing sent for a bad cursor');
  });
});

describe('boolean settings: one parser', () => {
  it('SYMPHONY_ENABLED means the same to the client config and to the feature flags', () => {
    for (const text of ['true', 'TRUE', '1', 'false', '0', '']) {
      const env = { SYMPHONY_ENABLED: text, SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' };
      assert.equal(isEnabled('EMAIL_QUEUE', env), resolveConnectionConfig({}, env).enabled, JSON.stringify(text));
    }
    for (const bad of ['yes', 'on', ' true', 'true\n']) {
      const env = { SYMPHONY_ENABLED: bad, SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' };
      assert.throws(() => resolveConnectionConfig({}, env), ConfigError, JSON.stringify(bad));
      assert.throws(() => isEnabled('EMAIL_QUEUE', env), ConfigError, JSON.stringify(bad));
    }
  });
});
