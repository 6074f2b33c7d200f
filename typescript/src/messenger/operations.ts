// The seeds' monitoring calls (health, metrics, queue status, message status) computed from the
// broker's documents (docs/protocol.md §5.12-5.13). Words, as the seeds count messages:
//   pending    = ready + delayed (delayed: waiting for a delay, a schedule or a retry backoff)
//   processing = in_flight (leased by a worker)
//   depth      = pending + processing (in the queue, not settled; dead letters excluded)
//   failed     = dead (in the dead-letter set)
//   completed  = acked_total (the broker counts completions since it started; it keeps no rows)
import type { SymphonyClient } from '../client.js';
import type { HealthReport, Overview } from '../documents.js';
import { envelopeStatusName, type EnvelopeStatusName } from '../protocol/dispatch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { toWireId } from './ids.js';
import { MessageValidationError } from './errors.js';

export type OperationsClient = Pick<SymphonyClient, 'health' | 'overview' | 'metrics' | 'messageStatus' | 'failedList' | 'failedGet' | 'failedRetry' | 'failedDelete'>;

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
  completed: number;
  dispatched: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  expired: number;
}

export interface HealthStatus {
  status: HealthReport['status'];
  /** healthy or degraded: still serving. */
  healthy: boolean;
  reasons: string[];
  checks: Record<string, unknown>;
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

export interface MetricsOptions {
  /** The window, 1..60. Default: 60. */
  minutes?: number;
  /** One queue; default: every queue. */
  queue?: string;
}

/** One window's figures (the broker's rates, under the seeds' names). */
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
  retryRate: number | null;
  /** ms from delivery to ack or nack; null without samples. */
  averageProcessingTime: number | null;
  /** Messages per second over the window. */
  dispatchRate: number;
  processingRate: number;
}

export interface MetricsReport extends WindowFigures {
  minutes: number;
  queue: string | null;
  queueDepth: number;
  queues: Record<string, WindowFigures>;
  timestamp: string;
}

export interface MessageStatusInfo {
  id: string;
  status: EnvelopeStatusName;
  queue: string;
  attempts: number;
  /** When it was dispatched (pending, processing), completed, or failed. */
  at: Date;
}

export class Operations {
  constructor(private readonly client: () => OperationsClient) {}

  async health(): Promise<HealthStatus> {
    const c = this.client();
    const [report, overview] = await Promise.all([c.health(), c.overview(1)]);
    const totals = depthOf(totalsOf(overview));
    return {
      status: report.status,
      healthy: report.status !== 'unhealthy',
      reasons: Array.isArray(report.reasons) ? report.reasons : [],
      checks: isObject(report.checks) ? report.checks : {},
      metrics: { queueDepth: totals.depth, ...totals, queues: queuesOf(overview).length, schedules: numberOr(overview.schedules) },
      timestamp: timeOf(overview),
    };
  }

  async status(): Promise<SystemStatus> {
    const overview = await this.client().overview(1);
    const queues: SystemStatus['queues'] = {};
    for (const [name, q] of queuesOf(overview)) queues[name] = { ...statusOf(q), maxLength: num(q, 'max_length') };
    return { queue: statusOf(totalsOf(overview)), queues, schedules: numberOr(overview.schedules), timestamp: timeOf(overview) };
  }

  async metrics(options: MetricsOptions = {}): Promise<MetricsReport> {
    const minutes = options.minutes ?? 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) throw new MessageValidationError(`minutes must be an integer from 1 to 60, got ${String(minutes)}`);
    const overview = await this.client().overview(minutes);
    const queues: Record<string, WindowFigures> = {};
    let scope: Record<string, unknown> = options.queue === undefined ? totalsOf(overview) : {};
    for (const [name, q] of queuesOf(overview)) {
      if (options.queue !== undefined && name !== options.queue) continue;
      queues[name] = figures(windowOf(q, minutes), minutes);
      if (name === options.queue) scope = q;
    }
    return { minutes, queue: options.queue ?? null, ...figures(windowOf(scope, minutes), minutes), queueDepth: depthOf(scope).depth, queues, timestamp: timeOf(overview) };
  }

  /** The broker's Prometheus text. */
  metricsText(): Promise<string> {
    return this.client().metrics();
  }

  /** null for an id the broker does not know (never existed, or completed and forgotten). */
  async messageStatus(id: string | bigint): Promise<MessageStatusInfo | null> {
    const [item] = await this.client().messageStatus(toWireId(id));
    if (!item || item.code === ErrorCode.UNKNOWN_MESSAGE) return null;
    return { id: item.messageId.toString(), status: envelopeStatusName(item.status), queue: item.queue, attempts: item.attempts, at: new Date(item.atMs) };
  }
}

export function depthOf(q: Record<string, unknown>): QueueDepth {
  const ready = num(q, 'ready');
  const delayed = num(q, 'delayed');
  const processing = num(q, 'in_flight');
  return { depth: ready + delayed + processing, pending: ready + delayed, ready, delayed, processing, failed: num(q, 'dead'), consumers: num(q, 'consumers') };
}

function statusOf(q: Record<string, unknown>): QueueStatus {
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

function figures(rates: Record<string, unknown> | undefined, minutes: number): WindowFigures {
  const acked = num(rates, 'acked');
  const dead = num(rates, 'dead_lettered');
  return {
    messagesDispatched: num(rates, 'dispatched'),
    messagesProcessed: acked + dead,
    messagesSucceeded: acked,
    messagesFailed: dead,
    messagesRetried: num(rates, 'retried'),
    leasesExpired: num(rates, 'expired'),
    successRate: nullable(rates, 'success_rate'),
    retryRate: nullable(rates, 'retry_rate'),
    averageProcessingTime: nullable(rates, 'avg_processing_ms'),
    dispatchRate: num(rates, 'dispatch_per_s'),
    processingRate: (acked + dead) / (minutes * 60),
  };
}

function windowOf(q: Record<string, unknown>, minutes: number): Record<string, unknown> | undefined {
  const rates = q['rates'];
  const w = isObject(rates) ? rates[`${minutes}m`] : undefined;
  return isObject(w) ? w : undefined;
}

function queuesOf(o: Overview): Array<[string, Record<string, unknown>]> {
  return Object.entries(isObject(o.queues) ? o.queues : {}).filter((e): e is [string, Record<string, unknown>] => isObject(e[1]));
}

function totalsOf(o: Overview): Record<string, unknown> {
  return isObject(o.totals) ? o.totals : {};
}

function timeOf(o: Overview): string {
  return typeof o.time === 'string' ? o.time : new Date().toISOString();
}

function num(o: Record<string, unknown> | undefined, key: string): number {
  return numberOr(o?.[key]);
}

function numberOr(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function nullable(o: Record<string, unknown> | undefined, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
