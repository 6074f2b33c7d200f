// One table of codec cases shared by the round-trip, truncation and robustness tests: each is an
// encoded frame, the decoder of its body, and the value that decoder must return.
import { Buffer } from 'node:buffer';
import * as p from '../src/index.js';

export interface CodecCase {
  name: string;
  frame: Buffer;
  opcode: p.Opcode;
  requestId: number;
  flags?: number;
  decode: (body: Buffer) => unknown;
  expected: unknown;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffff;
export const MAX_MS = Number.MAX_SAFE_INTEGER;
export const MIN_MS = Number.MIN_SAFE_INTEGER;
const b = (s: string) => Buffer.from(s, 'utf8');
const EMPTY = Buffer.alloc(0);
const LONG = 'q'.repeat(0xffff); // the longest str16
const UNICODE = 'Grüße, 世界 🎻';
const BINARY = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);

const summary: p.DeadLetterSummary = {
  messageId: 42n,
  queue: 'email',
  type: 'Email',
  priority: 10,
  createdAtMs: 1_700_000_000_000,
  failedAtMs: 1_700_000_005_000,
  attempts: 4,
  error: 'smtp timeout',
  errorClass: 'TimeoutError',
};

const edgeSummary: p.DeadLetterSummary = {
  messageId: U64_MAX,
  queue: '',
  type: UNICODE,
  priority: 255,
  createdAtMs: MIN_MS,
  failedAtMs: MAX_MS,
  attempts: U32_MAX,
  error: '',
  errorClass: LONG,
};

const spec: p.ScheduleSpec = {
  name: 'nightly-report',
  kind: p.ScheduleKind.CRON,
  atMs: 0,
  intervalMs: 0,
  cron: '0 3 * * *',
  timezone: 'Europe/Berlin',
  startAtMs: 0,
  maxRuns: 0n,
  enabled: true,
  type: 'Report',
  payload: b('{"kind":"daily"}'),
  metadata: b('{"owner":"ops"}'),
  headers: [['trace', 't1']],
  queue: 'reports',
  priority: 3,
};

const edgeSpec: p.ScheduleSpec = {
  name: '',
  kind: p.ScheduleKind.INTERVAL,
  atMs: MIN_MS,
  intervalMs: MAX_MS,
  cron: '',
  timezone: '',
  startAtMs: -1,
  maxRuns: U64_MAX,
  enabled: false,
  type: LONG,
  payload: EMPTY,
  metadata: BINARY,
  headers: [],
  queue: '',
  priority: 255,
};

const info: p.ScheduleInfo = {
  scheduleId: 77n,
  spec,
  nextRunAtMs: 1_700_010_800_000,
  lastRunAtMs: 0,
  runCount: 5n,
  createdAtMs: 1_699_000_000_000,
  updatedAtMs: 1_699_500_000_000,
  lastError: '',
};

const edgeInfo: p.ScheduleInfo = {
  scheduleId: U64_MAX,
  spec: edgeSpec,
  nextRunAtMs: 0,
  lastRunAtMs: MAX_MS,
  runCount: U64_MAX,
  createdAtMs: MIN_MS,
  updatedAtMs: -1,
  lastError: UNICODE,
};

const stats: p.QueueStats = {
  name: 'email',
  ready: 1n,
  delayed: 2n,
  inFlight: 3n,
  dead: 4n,
  consumers: 5n,
  dispatchedTotal: 6n,
  deliveredTotal: 7n,
  ackedTotal: 8n,
  retriedTotal: 9n,
  deadLetteredTotal: 10n,
  expiredTotal: 11n,
};

const delivery: p.Delivery = {
  messageId: 9n,
  attempt: 2,
  priority: 7,
  queue: 'email',
  createdAtMs: 1_700_000_000_000,
  leaseDeadlineMs: 1_700_000_030_000,
  type: 'Email',
  headers: [
    ['message-type', 'Email'],
    ['message-id', '9'],
    ['dispatched-at', '2023-11-14T22:13:20.000Z'],
    ['trace', UNICODE],
  ],
  metadata: b('{"tenant":"acme"}'),
  payload: b('{"to":"a@b.c"}'),
};

const edgeDelivery: p.Delivery = {
  messageId: U64_MAX,
  attempt: U32_MAX,
  priority: 255,
  queue: '',
  createdAtMs: MIN_MS,
  leaseDeadlineMs: MAX_MS,
  type: LONG,
  headers: [['', ''], ['k', 'v'], ['k', 'v2']],
  metadata: EMPTY,
  payload: BINARY,
};

const dispatchMessage: p.DispatchMessage = {
  type: 'Email',
  payload: b('{"to":"a@b.c"}'),
  metadata: b('{"tenant":"acme"}'),
  headers: [['trace', 't1'], ['trace', 't2']],
  queue: 'email',
  priority: p.Priority.MAX,
  when: p.When.DELAY_MS,
  whenValue: 5000,
  idempotencyKey: 'k'.repeat(255),
};

const edgeDispatchMessage: p.DispatchMessage = {
  type: '',
  payload: EMPTY,
  metadata: BINARY,
  headers: [],
  queue: LONG,
  priority: 255,
  when: p.When.AT_UNIX_MS,
  whenValue: MIN_MS,
  idempotencyKey: UNICODE,
};

/** Defaults an encoder fills in for an omitted field, seen from the decoder. */
const defaultedDispatchMessage: p.DispatchMessage = {
  type: 'Ping',
  payload: b('{}'),
  metadata: EMPTY,
  headers: [],
  queue: '',
  priority: 0,
  when: p.When.NOW,
  whenValue: 0,
  idempotencyKey: '',
};

const filter: Required<p.DeadLetterFilter> = {
  queue: 'email',
  type: 'Email',
  errorClass: 'TimeoutError',
  failedFromMs: 1_600_000_000_000,
  failedToMs: MAX_MS,
};
const emptyFilter: Required<p.DeadLetterFilter> = { queue: '', type: '', errorClass: '', failedFromMs: 0, failedToMs: 0 };

const detail: p.DeadLetterDetail = {
  summary,
  failures: [
    { attempt: 1, failedAtMs: 1_700_000_001_000, error: 'smtp timeout', errorClass: 'TimeoutError' },
    { attempt: 2, failedAtMs: 1_700_000_002_000, error: 'lease expired', errorClass: 'LeaseExpired' },
    { attempt: U32_MAX, failedAtMs: MIN_MS, error: '', errorClass: '' },
  ],
  headers: [['trace', 't1']],
  metadata: EMPTY,
  payload: b('{"to":"a@b.c"}'),
  idempotencyKey: 'order-17',
};

function c(
  name: string,
  frame: Buffer,
  opcode: p.Opcode,
  requestId: number,
  decode: (body: Buffer) => unknown,
  expected: unknown,
  flags = 0,
): CodecCase {
  return { name, frame, opcode, requestId, decode, expected, flags };
}

const O = p.Opcode;

export const cases: CodecCase[] = [
  // handshake
  c('HELLO', p.encodeHello(1, { clientName: 'example' }), O.HELLO, 1, p.decodeHello, { version: 1, clientName: 'example', authToken: '' }),
  c('HELLO edge', p.encodeHello(U32_MAX, { version: 0xffff, clientName: LONG, authToken: UNICODE }), O.HELLO, U32_MAX, p.decodeHello, {
    version: 0xffff,
    clientName: LONG,
    authToken: UNICODE,
  }),
  c('WELCOME', p.encodeWelcome(1, { version: 1, serverName: 'symphonyd/0.1.0', sessionId: 1n, limits: { ...p.DEFAULT_LIMITS } }), O.WELCOME, 1, p.decodeWelcome, {
    version: 1,
    serverName: 'symphonyd/0.1.0',
    sessionId: 1n,
    limits: { ...p.DEFAULT_LIMITS },
  }),
  c(
    'WELCOME edge',
    p.encodeWelcome(0, {
      version: 0,
      serverName: '',
      sessionId: U64_MAX,
      limits: { maxFrameBytes: U32_MAX, maxBatch: U32_MAX, maxPayloadBytes: 0, maxMetadataBytes: U32_MAX, maxHeaders: 0xffff, maxTypeBytes: 0 },
    }),
    O.WELCOME,
    0,
    p.decodeWelcome,
    {
      version: 0,
      serverName: '',
      sessionId: U64_MAX,
      limits: { maxFrameBytes: U32_MAX, maxBatch: U32_MAX, maxPayloadBytes: 0, maxMetadataBytes: U32_MAX, maxHeaders: 0xffff, maxTypeBytes: 0 },
    },
  ),
  // control
  c('PING', p.encodePing(5, 0n), O.PING, 5, p.decodePing, 0n),
  c('PING edge', p.encodePing(5, U64_MAX), O.PING, 5, p.decodePing, U64_MAX),
  c('PONG', p.encodePong(5, { nonce: 12n, serverTimeMs: 1_700_000_000_000 }), O.PONG, 5, p.decodePong, { nonce: 12n, serverTimeMs: 1_700_000_000_000 }),
  c('PONG max', p.encodePong(5, { nonce: U64_MAX, serverTimeMs: MAX_MS }), O.PONG, 5, p.decodePong, { nonce: U64_MAX, serverTimeMs: MAX_MS }),
  c('PONG min', p.encodePong(5, { nonce: 0n, serverTimeMs: MIN_MS }), O.PONG, 5, p.decodePong, { nonce: 0n, serverTimeMs: MIN_MS }),
  c('ERROR', p.encodeError(6, p.ErrorCode.BATCH_TOO_LARGE, 'count 20000 over max_batch 10000'), O.ERROR, 6, p.decodeError, {
    code: 501,
    message: 'count 20000 over max_batch 10000',
  }),
  c('ERROR edge', p.encodeError(0, 0xffff, ''), O.ERROR, 0, p.decodeError, { code: 0xffff, message: '' }),
  c('GOAWAY', p.encodeGoaway(p.ErrorCode.SHUTTING_DOWN, 'broker is stopping'), O.GOAWAY, 0, p.decodeGoaway, { code: 601, reason: 'broker is stopping' }),
  c('GOAWAY edge', p.encodeGoaway(0, UNICODE), O.GOAWAY, 0, p.decodeGoaway, { code: 0, reason: UNICODE }),
  // dispatch
  c('DISPATCH', p.encodeDispatch(2, [dispatchMessage, edgeDispatchMessage]), O.DISPATCH, 2, p.decodeDispatch, [dispatchMessage, edgeDispatchMessage]),
  c('DISPATCH defaults', p.encodeDispatch(2, [{ type: 'Ping', payload: '{}' }]), O.DISPATCH, 2, p.decodeDispatch, [defaultedDispatchMessage]),
  c('DISPATCH empty', p.encodeDispatch(2, []), O.DISPATCH, 2, p.decodeDispatch, []),
  c(
    'DISPATCH_RESULT',
    p.encodeDispatchResult(2, [
      { index: 0, code: 0, messageId: 1n, queue: 'email', duplicate: false, status: p.EnvelopeStatus.PENDING, errorMessage: '' },
      { index: 0, code: 0, messageId: U64_MAX, queue: 'audit', duplicate: true, status: p.EnvelopeStatus.FAILED, errorMessage: '' },
      { index: U32_MAX, code: 303, messageId: 0n, queue: '', duplicate: false, status: p.EnvelopeStatus.PENDING, errorMessage: 'priority: 11 is not 0 or 1..10' },
    ]),
    O.DISPATCH_RESULT,
    2,
    p.decodeDispatchResult,
    [
      { index: 0, code: 0, messageId: 1n, queue: 'email', duplicate: false, status: 0, errorMessage: '' },
      { index: 0, code: 0, messageId: U64_MAX, queue: 'audit', duplicate: true, status: 3, errorMessage: '' },
      { index: U32_MAX, code: 303, messageId: 0n, queue: '', duplicate: false, status: 0, errorMessage: 'priority: 11 is not 0 or 1..10' },
    ],
  ),
  c('DISPATCH_RESULT empty', p.encodeDispatchResult(2, []), O.DISPATCH_RESULT, 2, p.decodeDispatchResult, []),
  // consume
  c('SUBSCRIBE', p.encodeSubscribe(3, { queues: ['email', 'sms'], prefetch: 10, leaseMs: 30_000 }), O.SUBSCRIBE, 3, p.decodeSubscribe, {
    queues: ['email', 'sms'],
    prefetch: 10,
    leaseMs: 30_000,
  }),
  c('SUBSCRIBE edge', p.encodeSubscribe(3, { queues: [''], prefetch: U32_MAX, leaseMs: U32_MAX }), O.SUBSCRIBE, 3, p.decodeSubscribe, {
    queues: [''],
    prefetch: U32_MAX,
    leaseMs: U32_MAX,
  }),
  c('SUBSCRIBE none', p.encodeSubscribe(3, { queues: [] }), O.SUBSCRIBE, 3, p.decodeSubscribe, { queues: [], prefetch: 0, leaseMs: 0 }),
  c('SUBSCRIBED', p.encodeSubscribed(3, { prefetch: 10, leaseMs: 30_000 }), O.SUBSCRIBED, 3, p.decodeSubscribed, { prefetch: 10, leaseMs: 30_000 }),
  c('CREDIT', p.encodeCredit(4, 0), O.CREDIT, 4, p.decodeCredit, 0),
  c('CREDIT max', p.encodeCredit(4, U32_MAX), O.CREDIT, 4, p.decodeCredit, U32_MAX),
  c('CREDIT_OK', p.encodeCreditOk(4, { prefetch: 0, inFlight: U32_MAX }), O.CREDIT_OK, 4, p.decodeCreditOk, { prefetch: 0, inFlight: U32_MAX }),
  c('DELIVER', p.encodeDeliver([delivery, edgeDelivery]), O.DELIVER, 0, p.decodeDeliver, [delivery, edgeDelivery]),
  c('DELIVER empty', p.encodeDeliver([]), O.DELIVER, 0, p.decodeDeliver, []),
  // settle
  c('ACK', p.encodeAck(7, [1n, 2n, U64_MAX]), O.ACK, 7, p.decodeAck, [1n, 2n, U64_MAX]),
  c('ACK confirm', p.encodeAck(7, [0n], { confirm: true }), O.ACK, 7, p.decodeAck, [0n], p.FLAG_CONFIRM),
  c('ACK empty', p.encodeAck(7, []), O.ACK, 7, p.decodeAck, []),
  c('ACK_RESULT', p.encodeAckResult(7, { acked: 2, failures: [{ messageId: U64_MAX, code: 401 }] }), O.ACK_RESULT, 7, p.decodeAckResult, {
    acked: 2,
    failures: [{ messageId: U64_MAX, code: 401 }],
  }),
  c('ACK_RESULT none failed', p.encodeAckResult(7, { acked: U32_MAX, failures: [] }), O.ACK_RESULT, 7, p.decodeAckResult, { acked: U32_MAX, failures: [] }),
  c(
    'NACK',
    p.encodeNack(8, [
      { messageId: 1n, mode: p.NackMode.FATAL, error: 'bad input', errorClass: 'ValueError' },
      { messageId: 2n, mode: p.NackMode.RETRY, error: '', errorClass: '' },
      { messageId: U64_MAX, mode: p.NackMode.RELEASE, error: LONG, errorClass: UNICODE },
    ]),
    O.NACK,
    8,
    p.decodeNack,
    [
      { messageId: 1n, mode: 0, error: 'bad input', errorClass: 'ValueError' },
      { messageId: 2n, mode: 1, error: '', errorClass: '' },
      { messageId: U64_MAX, mode: 2, error: LONG, errorClass: UNICODE },
    ],
  ),
  c(
    'NACK_RESULT',
    p.encodeNackResult(8, [
      { messageId: 1n, code: 0, outcome: p.NackOutcome.DEAD_LETTERED, availableAtMs: 0 },
      { messageId: 2n, code: 0, outcome: p.NackOutcome.RETRY_SCHEDULED, availableAtMs: MAX_MS },
      { messageId: U64_MAX, code: 400, outcome: p.NackOutcome.RELEASED, availableAtMs: MIN_MS },
    ]),
    O.NACK_RESULT,
    8,
    p.decodeNackResult,
    [
      { messageId: 1n, code: 0, outcome: 1, availableAtMs: 0 },
      { messageId: 2n, code: 0, outcome: 0, availableAtMs: MAX_MS },
      { messageId: U64_MAX, code: 400, outcome: 2, availableAtMs: MIN_MS },
    ],
  ),
  c('TOUCH', p.encodeTouch(9, 60_000, [1n, U64_MAX]), O.TOUCH, 9, p.decodeTouch, { extendMs: 60_000, ids: [1n, U64_MAX] }),
  c('TOUCH empty', p.encodeTouch(9, U32_MAX, []), O.TOUCH, 9, p.decodeTouch, { extendMs: U32_MAX, ids: [] }),
  c(
    'TOUCH_RESULT',
    p.encodeTouchResult(9, [
      { messageId: 1n, code: 0, leaseDeadlineMs: 1_700_000_060_000 },
      { messageId: U64_MAX, code: 401, leaseDeadlineMs: MIN_MS },
    ]),
    O.TOUCH_RESULT,
    9,
    p.decodeTouchResult,
    [
      { messageId: 1n, code: 0, leaseDeadlineMs: 1_700_000_060_000 },
      { messageId: U64_MAX, code: 401, leaseDeadlineMs: MIN_MS },
    ],
  ),
  // stats and queue admin
  c('QUEUE_STATS', p.encodeQueueStats(10, 'email'), O.QUEUE_STATS, 10, p.decodeQueueStats, 'email'),
  c('QUEUE_STATS all', p.encodeQueueStats(10), O.QUEUE_STATS, 10, p.decodeQueueStats, ''),
  c(
    'QUEUE_STATS_RESULT',
    p.encodeQueueStatsResult(10, [stats, { ...stats, name: '', ready: U64_MAX, expiredTotal: U64_MAX }]),
    O.QUEUE_STATS_RESULT,
    10,
    p.decodeQueueStatsResult,
    [stats, { ...stats, name: '', ready: U64_MAX, expiredTotal: U64_MAX }],
  ),
  c('QUEUE_STATS_RESULT empty', p.encodeQueueStatsResult(10, []), O.QUEUE_STATS_RESULT, 10, p.decodeQueueStatsResult, []),
  c('QUEUE_PURGE', p.encodeQueuePurge(11, 'email'), O.QUEUE_PURGE, 11, p.decodeQueuePurge, 'email'),
  c('QUEUE_PURGE_RESULT', p.encodeQueuePurgeResult(11, U64_MAX), O.QUEUE_PURGE_RESULT, 11, p.decodeQueuePurgeResult, U64_MAX),
  c('MESSAGE_STATUS', p.encodeMessageStatus(12, [1n, U64_MAX]), O.MESSAGE_STATUS, 12, p.decodeMessageStatus, [1n, U64_MAX]),
  c(
    'MESSAGE_STATUS_RESULT',
    p.encodeMessageStatusResult(12, [
      { messageId: 1n, code: 0, status: p.EnvelopeStatus.COMPLETED, queue: 'email', attempts: 1, atMs: 1_700_000_000_000 },
      { messageId: U64_MAX, code: 400, status: p.EnvelopeStatus.PENDING, queue: '', attempts: U32_MAX, atMs: MIN_MS },
    ]),
    O.MESSAGE_STATUS_RESULT,
    12,
    p.decodeMessageStatusResult,
    [
      { messageId: 1n, code: 0, status: 2, queue: 'email', attempts: 1, atMs: 1_700_000_000_000 },
      { messageId: U64_MAX, code: 400, status: 0, queue: '', attempts: U32_MAX, atMs: MIN_MS },
    ],
  ),
  // observe
  c('OVERVIEW', p.encodeOverview(13), O.OVERVIEW, 13, p.decodeOverview, 0),
  c('OVERVIEW max', p.encodeOverview(13, 255), O.OVERVIEW, 13, p.decodeOverview, 255),
  c('HEALTH', p.encodeHealth(14), O.HEALTH, 14, p.decodeHealth, undefined),
  c('METRICS', p.encodeMetrics(15), O.METRICS, 15, p.decodeMetrics, undefined),
  c('BACKUP', p.encodeBackup(16, 'nightly-2026.01.01'), O.BACKUP, 16, p.decodeBackup, 'nightly-2026.01.01'),
  c('OVERVIEW_RESULT', p.encodeDocumentResult(O.OVERVIEW_RESULT, 13, '{"time":"x","queues":{}}'), O.OVERVIEW_RESULT, 13, p.decodeOverviewResult, '{"time":"x","queues":{}}'),
  c('HEALTH_RESULT', p.encodeDocumentResult(O.HEALTH_RESULT, 14, UNICODE), O.HEALTH_RESULT, 14, p.decodeHealthResult, UNICODE),
  c('METRICS_RESULT', p.encodeDocumentResult(O.METRICS_RESULT, 15, ''), O.METRICS_RESULT, 15, p.decodeMetricsResult, ''),
  c('BACKUP_RESULT', p.encodeDocumentResult(O.BACKUP_RESULT, 16, '{"name":"n"}'), O.BACKUP_RESULT, 16, p.decodeBackupResult, '{"name":"n"}'),
  // dead letters
  c(
    'FAILED_LIST',
    p.encodeFailedList(17, { filter, cursorFailedAtMs: 1_700_000_000_000, cursorId: U64_MAX, limit: 1000 }),
    O.FAILED_LIST,
    17,
    p.decodeFailedList,
    { filter, cursorFailedAtMs: 1_700_000_000_000, cursorId: U64_MAX, limit: 1000 },
  ),
  c('FAILED_LIST defaults', p.encodeFailedList(17, { limit: 50 }), O.FAILED_LIST, 17, p.decodeFailedList, {
    filter: emptyFilter,
    cursorFailedAtMs: 0,
    cursorId: 0n,
    limit: 50,
  }),
  c(
    'FAILED_LIST_RESULT',
    p.encodeFailedListResult(17, { total: U64_MAX, items: [summary, edgeSummary], nextCursorFailedAtMs: 1_700_000_005_000, nextCursorId: 42n }),
    O.FAILED_LIST_RESULT,
    17,
    p.decodeFailedListResult,
    { total: U64_MAX, items: [summary, edgeSummary], nextCursorFailedAtMs: 1_700_000_005_000, nextCursorId: 42n },
  ),
  c('FAILED_LIST_RESULT last page', p.encodeFailedListResult(17, { total: 0n, items: [], nextCursorFailedAtMs: 0, nextCursorId: 0n }), O.FAILED_LIST_RESULT, 17, p.decodeFailedListResult, {
    total: 0n,
    items: [],
    nextCursorFailedAtMs: 0,
    nextCursorId: 0n,
  }),
  c('FAILED_GET', p.encodeFailedGet(18, U64_MAX), O.FAILED_GET, 18, p.decodeFailedGet, U64_MAX),
  c('FAILED_GET_RESULT', p.encodeFailedGetResult(18, detail), O.FAILED_GET_RESULT, 18, p.decodeFailedGetResult, detail),
  c(
    'FAILED_GET_RESULT edge',
    p.encodeFailedGetResult(18, { summary: edgeSummary, failures: [], headers: [], metadata: BINARY, payload: EMPTY, idempotencyKey: '' }),
    O.FAILED_GET_RESULT,
    18,
    p.decodeFailedGetResult,
    { summary: edgeSummary, failures: [], headers: [], metadata: BINARY, payload: EMPTY, idempotencyKey: '' },
  ),
  c('FAILED_RETRY ids', p.encodeFailedRetry(19, { kind: 'ids', ids: [1n, U64_MAX] }, true), O.FAILED_RETRY, 19, p.decodeFailedRetry, {
    target: { kind: 'ids', ids: [1n, U64_MAX] },
    dryRun: true,
  }),
  c('FAILED_RETRY filter', p.encodeFailedRetry(19, { kind: 'filter', filter }), O.FAILED_RETRY, 19, p.decodeFailedRetry, {
    target: { kind: 'filter', filter },
    dryRun: false,
  }),
  c('FAILED_DELETE ids', p.encodeFailedDelete(20, { kind: 'ids', ids: [] }), O.FAILED_DELETE, 20, p.decodeFailedDelete, { kind: 'ids', ids: [] }),
  c('FAILED_DELETE filter (purge all)', p.encodeFailedDelete(20, { kind: 'filter', filter: {} }), O.FAILED_DELETE, 20, p.decodeFailedDelete, {
    kind: 'filter',
    filter: emptyFilter,
  }),
  c(
    'FAILED_RETRY_RESULT',
    p.encodeDeadLetterActionResult(O.FAILED_RETRY_RESULT, 19, { messageIds: [1n, U64_MAX], failures: [{ messageId: 5n, code: 400 }] }),
    O.FAILED_RETRY_RESULT,
    19,
    p.decodeFailedRetryResult,
    { messageIds: [1n, U64_MAX], failures: [{ messageId: 5n, code: 400 }] },
  ),
  c('FAILED_DELETE_RESULT', p.encodeDeadLetterActionResult(O.FAILED_DELETE_RESULT, 20, { messageIds: [], failures: [] }), O.FAILED_DELETE_RESULT, 20, p.decodeFailedDeleteResult, {
    messageIds: [],
    failures: [],
  }),
  // schedules
  c('SCHEDULE_CREATE', p.encodeScheduleCreate(21, spec), O.SCHEDULE_CREATE, 21, p.decodeScheduleCreate, spec),
  c('SCHEDULE_CREATE edge', p.encodeScheduleCreate(21, edgeSpec), O.SCHEDULE_CREATE, 21, p.decodeScheduleCreate, edgeSpec),
  c('SCHEDULE_CREATE defaults', p.encodeScheduleCreate(21, { name: 'once', kind: p.ScheduleKind.ONCE, atMs: 1_800_000_000_000, type: 'Tick' }), O.SCHEDULE_CREATE, 21, p.decodeScheduleCreate, {
    name: 'once',
    kind: 0,
    atMs: 1_800_000_000_000,
    intervalMs: 0,
    cron: '',
    timezone: 'UTC',
    startAtMs: 0,
    maxRuns: 0n,
    enabled: true,
    type: 'Tick',
    payload: b('{}'),
    metadata: EMPTY,
    headers: [],
    queue: '',
    priority: 0,
  }),
  c('SCHEDULE_LIST', p.encodeScheduleList(22), O.SCHEDULE_LIST, 22, p.decodeScheduleList, undefined),
  c('SCHEDULE_GET', p.encodeScheduleGet(23, U64_MAX), O.SCHEDULE_GET, 23, p.decodeScheduleGet, U64_MAX),
  c('SCHEDULE_UPDATE', p.encodeScheduleUpdate(24, 77n, p.ScheduleOp.DELETE), O.SCHEDULE_UPDATE, 24, p.decodeScheduleUpdate, { scheduleId: 77n, op: 2 }),
  c('SCHEDULE_CREATE_RESULT', p.encodeScheduleResult(O.SCHEDULE_CREATE_RESULT, 21, info), O.SCHEDULE_CREATE_RESULT, 21, p.decodeScheduleCreateResult, info),
  c('SCHEDULE_GET_RESULT', p.encodeScheduleResult(O.SCHEDULE_GET_RESULT, 23, edgeInfo), O.SCHEDULE_GET_RESULT, 23, p.decodeScheduleGetResult, edgeInfo),
  c('SCHEDULE_LIST_RESULT', p.encodeScheduleListResult(22, [info, edgeInfo]), O.SCHEDULE_LIST_RESULT, 22, p.decodeScheduleListResult, [info, edgeInfo]),
  c('SCHEDULE_LIST_RESULT empty', p.encodeScheduleListResult(22, []), O.SCHEDULE_LIST_RESULT, 22, p.decodeScheduleListResult, []),
  c('SCHEDULE_UPDATE_RESULT', p.encodeScheduleUpdateResult(24, info), O.SCHEDULE_UPDATE_RESULT, 24, p.decodeScheduleUpdateResult, info),
  c('SCHEDULE_UPDATE_RESULT deleted', p.encodeScheduleUpdateResult(24, null), O.SCHEDULE_UPDATE_RESULT, 24, p.decodeScheduleUpdateResult, null),
];

/** Every body decoder the package exports, with a valid body for it (for the robustness loop). */
export function decodersWithSample(): Map<string, { decode: (body: Buffer) => unknown; sample: Buffer }> {
  const out = new Map<string, { decode: (body: Buffer) => unknown; sample: Buffer }>();
  for (const k of cases) {
    const name = k.decode.name || k.name;
    const prev = out.get(name);
    const sample = k.frame.subarray(p.FRAME_HEADER_BYTES);
    // the mutation seed: the longest valid body under 4 KiB (the 0xffff-byte cases are slow to mutate)
    const better = !prev || (sample.length <= 4096 && (prev.sample.length > 4096 || prev.sample.length < sample.length));
    if (better) out.set(name, { decode: k.decode, sample });
  }
  return out;
}
