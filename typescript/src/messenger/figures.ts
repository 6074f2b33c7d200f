// The seeds' monitoring figures computed from the broker's own documents: OVERVIEW (= the admin
// API's /status), HEALTH (= /health), METRICS (Prometheus text) and the dead-letter frames
// (docs/protocol.md §5.12-5.14). The one implementation of each figure: the Messenger's
// operations (health(), status(), metrics(), failed.*) return these, and the Next.js routes'
// JSON views (src/next/views.ts) are built from them. Pure functions, so each figure's derivation
// is testable without a broker.
//
// Words. The seeds' messenger_messages rows are pending / processing / completed / failed; the
// broker's queues count ready, delayed, in_flight and dead. The mapping used everywhere:
//   pending    = ready + delayed    (not picked up yet; delayed = waiting for a delay, a schedule
//                                    or a retry backoff, which the seeds also keep as 'pending')
//   processing = in_flight          (leased by a worker)
//   depth      = pending + processing   (in the queue and not settled; dead letters excluded)
//   failed     = dead               (in the dead-letter set: the seeds' messenger_failed_messages)
//   completed  = acked_total        (the broker keeps no completed messages, only this counter,
//                                    which counts since the broker process started)
import { Buffer } from 'node:buffer';
import type { HealthReport, Overview } from '../documents.js';
import type { DeadLetterDetail, DeadLetterSummary, FailedListRequest, FailedListResult } from '../protocol/dead-letters.js';
import { MessageValidationError } from './errors.js';

/** The broker keeps rates for the last hour (OVERVIEW refuses a longer window). */
export const MAX_METRICS_MINUTES = 60;
export const DEFAULT_METRICS_MINUTES = 60;
/** FAILED_LIST's limit is 1..1000. */
export const MAX_FAILED_LIST_LIMIT = 1000;
export const DEFAULT_FAILED_LIST_LIMIT = 50;

// ---- types ----

export interface QueueDepth {
  depth: number;
  pending: number;
  ready: number;
  delayed: number;
  processing: number;
  failed: number;
  consumers: number;
}

export interface QueueStatus extends QueueDepth {
  /** acked_total: messages completed since the broker started. */
  completed: number;
  dispatched: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  expired: number;
}

export interface QueueDepthEntry extends QueueDepth {
  /** 0: no limit. */
  maxLength: number;
  /** At its max length: dispatches to it are refused with QUEUE_FULL. */
  full: boolean;
}

export interface HealthStatus {
  status: HealthReport['status'];
  /** healthy or degraded: still serving (what the broker's /health answers 200 for). */
  healthy: boolean;
  reasons: string[];
  checks: Record<string, unknown>;
  /** queueDepth (the seeds' name) = depth, over every queue. */
  metrics: QueueDepth & { queueDepth: number; queues: number; schedules: number };
  /** The broker's clock, ISO 8601. */
  timestamp: string;
}

export interface SystemStatus {
  /** Summed over every queue. */
  queue: QueueStatus;
  queues: Record<string, QueueStatus & { maxLength: number }>;
  schedules: number;
  timestamp: string;
}

export interface QueueDepths {
  queues: Record<string, QueueDepthEntry>;
  /** Every queue's, or the one asked for (without maxLength and full). */
  total: QueueDepth;
  timestamp: string;
}

/** One window's figures. Counts and rates cover the last `minutes`; see windowFigures(). */
export interface WindowFigures {
  messagesDispatched: number;
  /** Settled for good: succeeded + failed. */
  messagesProcessed: number;
  messagesSucceeded: number;
  /** Dead-lettered. */
  messagesFailed: number;
  messagesRetried: number;
  leasesExpired: number;
  /** succeeded / processed; null when nothing settled in the window. */
  successRate: number | null;
  /** 1 - successRate; null when nothing settled in the window. */
  failureRate: number | null;
  retryRate: number | null;
  /** Milliseconds from delivery to ack or nack; null without samples. */
  averageProcessingTime: number | null;
  /** Messages per second over the window. */
  dispatchRate: number;
  processingRate: number;
}

export interface MetricsReport extends WindowFigures {
  minutes: number;
  /** The queue the figures are for; null: every queue. */
  queue: string | null;
  queueDepth: number;
  /** The same figures per queue (only the requested one when `queue` is set). */
  queues: Record<string, WindowFigures>;
  timestamp: string;
}

export interface ProcessingTimePercentiles {
  /** Milliseconds, estimated from histogram buckets; null without samples. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  samples: number;
  /** The histogram is not windowed: it covers everything since the broker started. */
  since: 'broker_start';
}

export interface FailedListOptions {
  /** 1..1000. Default: 50. */
  limit?: number;
  queue?: string;
  type?: string;
  /** The last failure's error class. */
  errorClass?: string;
  failedFrom?: Date;
  failedTo?: Date;
  /** A previous page's nextCursor. */
  cursor?: string;
}

/** A dead letter as the seeds' messenger_failed_messages row (camelCase), ids as decimal strings. */
export interface FailedMessage {
  /** The message id (the broker keeps a dead letter under its message's id). */
  id: string;
  /** The same as `id` (the seeds' rows have both). */
  messageId: string;
  queue: string;
  type: string;
  priority: number;
  /** The last failure's error and class. */
  error: string;
  errorClass: string;
  /** Deliveries it had. */
  attempts: number;
  /** attempts - 1: the retries before it was dead-lettered (the seeds' retry_count). */
  retryCount: number;
  createdAt: Date;
  failedAt: Date;
}

export interface FailedPage {
  messages: FailedMessage[];
  /** Every dead letter the filters match, across pages. */
  total: number;
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface FailedMessageDetail extends FailedMessage {
  /** Every failed attempt: nacks, expired leases (LeaseExpired), lost consumers (ConsumerGone). */
  failures: Array<{ attempt: number; failedAt: Date; error: string; errorClass: string }>;
  headers: Record<string, string>;
  /** Parsed JSON; the raw text when it does not parse. */
  payload: unknown;
  /** As `payload`; undefined when the message had none. */
  metadata: unknown;
  idempotencyKey: string;
}

// ---- the overview's parts ----

function num(o: Record<string, unknown> | undefined, key: string): number {
  return numberOr(o?.[key]);
}

function numberOr(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function nullableNum(o: Record<string, unknown> | undefined, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function queuesOf(overview: Overview): Array<[string, Record<string, unknown>]> {
  const queues = isObject(overview.queues) ? overview.queues : {};
  return Object.entries(queues).filter((e): e is [string, Record<string, unknown>] => isObject(e[1]));
}

function totalsOf(overview: Overview): Record<string, unknown> {
  return isObject(overview.totals) ? overview.totals : {};
}

function timeOf(overview: Overview): string {
  return typeof overview.time === 'string' ? overview.time : new Date().toISOString();
}

export function hasQueue(overview: Overview, queue: string): boolean {
  return queuesOf(overview).some(([name]) => name === queue);
}

// ---- depths, health and status ----

/** Depths of one queue object of the overview (or of its totals). */
export function depthOf(q: Record<string, unknown>): QueueDepth {
  const ready = num(q, 'ready');
  const delayed = num(q, 'delayed');
  const processing = num(q, 'in_flight');
  return {
    depth: ready + delayed + processing,
    pending: ready + delayed,
    ready,
    delayed,
    processing,
    failed: num(q, 'dead'),
    consumers: num(q, 'consumers'),
  };
}

export function statusOf(q: Record<string, unknown>): QueueStatus {
  return {
    ...depthOf(q),
    completed: num(q, 'acked_total'),
    dispatched: num(q, 'dispatched_total'),
    delivered: num(q, 'delivered_total'),
    retried: num(q, 'retried_total'),
    deadLettered: num(q, 'dead_lettered_total'),
    expired: num(q, 'expired_total'),
  };
}

/** `overview`: any window (its depths do not depend on it). */
export function healthStatus(report: HealthReport, overview: Overview): HealthStatus {
  const depth = depthOf(totalsOf(overview));
  return {
    status: report.status,
    healthy: report.status !== 'unhealthy',
    reasons: Array.isArray(report.reasons) ? report.reasons : [],
    checks: isObject(report.checks) ? report.checks : {},
    metrics: {
      // queueDepth is what the seeds print; the other depths come along under their own names
      queueDepth: depth.depth,
      ...depth,
      queues: queuesOf(overview).length,
      schedules: numberOr(overview.schedules),
    },
    timestamp: timeOf(overview),
  };
}

export function systemStatus(overview: Overview): SystemStatus {
  const queues: SystemStatus['queues'] = {};
  for (const [name, q] of queuesOf(overview)) queues[name] = { ...statusOf(q), maxLength: num(q, 'max_length') };
  return { queue: statusOf(totalsOf(overview)), queues, schedules: numberOr(overview.schedules), timestamp: timeOf(overview) };
}

/** Every queue's depths, with its max length and whether it is full; `queue`: only that one. */
export function queueDepths(overview: Overview, queue?: string): QueueDepths {
  const queues: Record<string, QueueDepthEntry> = {};
  for (const [name, q] of queuesOf(overview)) {
    if (queue !== undefined && name !== queue) continue;
    const d = depthOf(q);
    const maxLength = num(q, 'max_length');
    // the broker's own test for "full" counts ready + delayed + in_flight against max_length
    queues[name] = { ...d, maxLength, full: maxLength > 0 && d.depth >= maxLength };
  }
  const total = queue === undefined ? depthOf(totalsOf(overview)) : (queues[queue] ?? depthOf({}));
  return { queues, total: pickDepth(total), timestamp: timeOf(overview) };
}

function pickDepth(d: QueueDepth): QueueDepth {
  const { depth, pending, ready, delayed, processing, failed, consumers } = d;
  return { depth, pending, ready, delayed, processing, failed, consumers };
}

// ---- window figures ----

/**
 * The figures of one rate window of the overview (`rates["<minutes>m"]` of a queue or of the
 * totals). The broker counts events in 10 s slots for the last 5 minutes and 1 min slots for the
 * hour, so a window is "the last N minutes" to a slot's precision, and its per-second rates
 * divide by the whole window even when the broker has run for less.
 *   messagesSucceeded     = acked
 *   messagesFailed        = dead_lettered (failed for good: fatal nacks, retries exhausted)
 *   messagesProcessed     = acked + dead_lettered (settled for good; a retried attempt is not)
 *   messagesRetried       = retried (retries scheduled)
 *   successRate           = the broker's success_rate: acked / (acked + dead_lettered);
 *                           null when nothing settled in the window (not a made-up 0 or 1)
 *   failureRate           = 1 - successRate = dead_lettered / (acked + dead_lettered)
 *   retryRate             = the broker's retry_rate: retried / (acked + retried + dead_lettered)
 *   averageProcessingTime = the broker's avg_processing_ms: mean time from delivery to ack or
 *                           nack per attempt, in whole ms per sample, handler time plus the round
 *                           trip to the worker; null without samples
 *   dispatchRate          = dispatch_per_s = dispatched / (minutes * 60)
 *   processingRate        = messagesProcessed / (minutes * 60), the same denominator
 */
export function windowFigures(rates: Record<string, unknown> | undefined, minutes: number): WindowFigures {
  const acked = num(rates, 'acked');
  const dead = num(rates, 'dead_lettered');
  const successRate = nullableNum(rates, 'success_rate');
  return {
    messagesDispatched: num(rates, 'dispatched'),
    messagesProcessed: acked + dead,
    messagesSucceeded: acked,
    messagesFailed: dead,
    messagesRetried: num(rates, 'retried'),
    leasesExpired: num(rates, 'expired'),
    successRate,
    failureRate: successRate === null ? null : 1 - successRate,
    retryRate: nullableNum(rates, 'retry_rate'),
    averageProcessingTime: nullableNum(rates, 'avg_processing_ms'),
    dispatchRate: num(rates, 'dispatch_per_s'),
    processingRate: (acked + dead) / (minutes * 60),
  };
}

function windowOf(q: Record<string, unknown>, minutes: number): Record<string, unknown> | undefined {
  const rates = q['rates'];
  const w = isObject(rates) ? rates[`${minutes}m`] : undefined;
  return isObject(w) ? w : undefined;
}

/**
 * `overview` must be OVERVIEW(minutes). `queue`: that queue's figures (all zero and null for a
 * queue the overview does not have); default: the totals. `minutes` is not checked here.
 */
export function metricsReport(overview: Overview, minutes: number, queue?: string): MetricsReport {
  const queues: Record<string, WindowFigures> = {};
  let scope: Record<string, unknown> = queue === undefined ? totalsOf(overview) : {};
  for (const [name, q] of queuesOf(overview)) {
    if (queue !== undefined && name !== queue) continue;
    queues[name] = windowFigures(windowOf(q, minutes), minutes);
    if (name === queue) scope = q;
  }
  return {
    minutes,
    queue: queue ?? null,
    ...windowFigures(windowOf(scope, minutes), minutes),
    queueDepth: depthOf(scope).depth,
    queues,
    timestamp: timeOf(overview),
  };
}

// ---- processing-time percentiles from the Prometheus histogram ----

const BUCKET_LINE = /^symphony_processing_seconds_bucket\{([^}]*)\}\s+(\S+)/;

/**
 * p50 / p95 / p99 of symphony_processing_seconds (delivery to ack or nack), summed over the
 * queues (or of one), the way Prometheus' histogram_quantile() estimates them: linear within the
 * bucket the rank falls in, the highest finite bound when it falls in +Inf. The buckets' bounds
 * (0.5 ms ... 60 s) limit the precision, and the histogram covers the broker's whole run.
 */
export function processingPercentiles(prometheus: string, queue?: string): ProcessingTimePercentiles {
  const cumulative = new Map<number, number>(); // upper bound (s) -> cumulative count
  for (const line of prometheus.split('\n')) {
    const m = BUCKET_LINE.exec(line);
    if (!m) continue;
    const labels = parseLabels(m[1] ?? '');
    if (queue !== undefined && labels.get('queue') !== queue) continue;
    const le = labels.get('le');
    const value = Number(m[2]);
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    if (Number.isNaN(bound)) continue;
    cumulative.set(bound, (cumulative.get(bound) ?? 0) + value);
  }
  const buckets = [...cumulative.entries()].sort((a, b) => a[0] - b[0]);
  const samples = buckets.length > 0 ? (buckets[buckets.length - 1]?.[1] ?? 0) : 0;
  const q = (p: number): number | null => {
    const s = quantile(buckets, p);
    return s === null ? null : Math.round(s * 1e6) / 1e3; // seconds -> ms, to the microsecond
  };
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), samples, since: 'broker_start' };
}

function quantile(buckets: Array<[number, number]>, p: number): number | null {
  const last = buckets[buckets.length - 1];
  if (!last || last[1] <= 0) return null;
  const rank = p * last[1];
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound; // above every finite bound: the best we know
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

function parseLabels(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.set(m[1] ?? '', (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
  }
  return out;
}

// ---- dead letters ----

export function failedMessage(s: DeadLetterSummary): FailedMessage {
  const id = s.messageId.toString();
  return {
    id,
    messageId: id,
    queue: s.queue,
    type: s.type,
    priority: s.priority,
    error: s.error,
    errorClass: s.errorClass,
    attempts: s.attempts,
    retryCount: Math.max(0, s.attempts - 1),
    createdAt: new Date(s.createdAtMs),
    failedAt: new Date(s.failedAtMs),
  };
}

export function failedPage(r: FailedListResult): FailedPage {
  return { messages: r.items.map(failedMessage), total: Number(r.total), nextCursor: encodeCursor(r.nextCursorFailedAtMs, r.nextCursorId) };
}

export function failedMessageDetail(d: DeadLetterDetail): FailedMessageDetail {
  return {
    ...failedMessage(d.summary),
    failures: d.failures.map((f) => ({ attempt: f.attempt, failedAt: new Date(f.failedAtMs), error: f.error, errorClass: f.errorClass })),
    headers: Object.fromEntries(d.headers),
    payload: jsonOrText(d.payload),
    metadata: d.metadata.length === 0 ? undefined : jsonOrText(d.metadata),
    idempotencyKey: d.idempotencyKey,
  };
}

/**
 * FAILED_LIST's request for `options`. Throws MessageValidationError for a limit out of 1..1000
 * or a cursor this package did not give.
 */
export function failedListRequest(options: FailedListOptions): FailedListRequest {
  const limit = options.limit ?? DEFAULT_FAILED_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FAILED_LIST_LIMIT) {
    throw new MessageValidationError(`limit must be an integer from 1 to ${MAX_FAILED_LIST_LIMIT}, got ${String(limit)}`);
  }
  const cursor = options.cursor === undefined ? { failedAtMs: 0, id: 0n } : decodeCursor(options.cursor);
  if (cursor === undefined) throw new MessageValidationError(`not a failed-list cursor: ${JSON.stringify(options.cursor)}`);
  const filter = {
    ...(options.queue !== undefined && { queue: options.queue }),
    ...(options.type !== undefined && { type: options.type }),
    ...(options.errorClass !== undefined && { errorClass: options.errorClass }),
    ...(options.failedFrom !== undefined && { failedFromMs: options.failedFrom.getTime() }),
    ...(options.failedTo !== undefined && { failedToMs: options.failedTo.getTime() }),
  };
  return { filter, limit, cursorFailedAtMs: cursor.failedAtMs, cursorId: cursor.id };
}

/** The cursor of the next page: "<failed_at_ms>-<id>" (the broker's), opaque to callers. */
export function encodeCursor(failedAtMs: number, id: bigint): string | null {
  return failedAtMs === 0 && id === 0n ? null : `${failedAtMs}-${id}`;
}

/** undefined: not a cursor encodeCursor() gave. */
export function decodeCursor(text: string): { failedAtMs: number; id: bigint } | undefined {
  const m = /^([0-9]{1,16})-([0-9]{1,20})$/.exec(text);
  if (!m) return undefined;
  const failedAtMs = Number(m[1]);
  const id = BigInt(m[2] ?? '0');
  if (!Number.isSafeInteger(failedAtMs) || id > 0xffff_ffff_ffff_ffffn) return undefined;
  return { failedAtMs, id };
}

function jsonOrText(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
