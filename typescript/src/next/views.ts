// The routes' JSON views: the figures of src/messenger/figures.ts (the same ones the Messenger's
// health(), status(), metrics() and failed.* return, where each figure's derivation and the words
// pending / processing / depth / failed / completed are documented), in the shapes the seeds'
// monitoring endpoints answer: wrapped as `{ health }`, `{ metrics }`, `{ message }`, with the
// health status beside the queue status, processing-time percentiles beside the window figures,
// dates as ISO 8601 strings and headers as [name, value] pairs.
import type { HealthReport, Overview } from '../documents.js';
import type { DeadLetterDetail, FailedListResult } from '../protocol/dead-letters.js';
import {
  failedMessageDetail,
  failedPage,
  healthStatus,
  metricsReport,
  processingPercentiles,
  queueDepths,
  systemStatus,
  type FailedMessage,
  type HealthStatus,
  type MetricsReport,
  type ProcessingTimePercentiles,
  type QueueDepths,
  type SystemStatus,
} from '../messenger/figures.js';

export { processingPercentiles, windowFigures } from '../messenger/figures.js';
export type { ProcessingTimePercentiles, QueueDepth, QueueDepthEntry, QueueStatus, WindowFigures } from '../messenger/figures.js';

export interface HealthView {
  health: HealthStatus;
}

export interface StatusView extends SystemStatus {
  status: HealthReport['status'];
  reasons: string[];
}

export type QueueDepthView = QueueDepths;

export interface MetricsView {
  metrics: MetricsReport & { processingTimePercentiles: ProcessingTimePercentiles };
}

/** A dead letter as the seeds' messenger_failed_messages row (camelCase), ids as decimal strings. */
export interface FailedMessageView extends Omit<FailedMessage, 'createdAt' | 'failedAt'> {
  createdAt: string;
  failedAt: string;
}

export interface FailedListView {
  messages: FailedMessageView[];
  /** Every dead letter the filters match, across pages. */
  total: number;
  count: number;
  /** Pass as ?cursor= for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface FailedDetailView {
  message: FailedMessageView & {
    failures: Array<{ attempt: number; failedAt: string; error: string; errorClass: string }>;
    headers: Array<[string, string]>;
    /** Parsed JSON; the raw text when it does not parse. */
    payload: unknown;
    /** As `payload`; null when the message had none. */
    metadata: unknown;
    idempotencyKey: string;
  };
}

export interface RetryView {
  success: true;
  /** False on a dry run: nothing moved. */
  retried: boolean;
  dryRun: boolean;
  messageId: string;
  /** The queue it went back to (or would, on a dry run), with its attempts reset. */
  queue: string;
  type: string;
}

export function healthView(report: HealthReport, overview: Overview): HealthView {
  return { health: healthStatus(report, overview) };
}

export function statusView(report: HealthReport, overview: Overview): StatusView {
  const { status, reasons } = healthStatus(report, overview);
  return { status, reasons, ...systemStatus(overview) };
}

/** `queue`: only that one (the caller checked it exists). */
export function queueDepthView(overview: Overview, queue?: string): QueueDepthView {
  return queueDepths(overview, queue);
}

/** `overview` must be OVERVIEW(minutes); `prometheus` the METRICS text. */
export function metricsView(overview: Overview, prometheus: string, minutes: number, queue?: string): MetricsView {
  const { queues, timestamp, ...figures } = metricsReport(overview, minutes, queue);
  return { metrics: { ...figures, processingTimePercentiles: processingPercentiles(prometheus, queue), queues, timestamp } };
}

export function failedListView(r: FailedListResult): FailedListView {
  const page = failedPage(r);
  return { messages: page.messages.map(withIsoDates), total: page.total, count: page.messages.length, nextCursor: page.nextCursor };
}

export function failedDetailView(d: DeadLetterDetail): FailedDetailView {
  const m = failedMessageDetail(d);
  return {
    message: {
      ...withIsoDates(m),
      failures: m.failures.map((f) => ({ ...f, failedAt: iso(f.failedAt) })),
      headers: d.headers.map(([k, v]): [string, string] => [k, v]), // pairs: a name may repeat
      metadata: m.metadata === undefined ? null : m.metadata,
    },
  };
}

function withIsoDates<T extends FailedMessage>(m: T): Omit<T, 'createdAt' | 'failedAt'> & { createdAt: string; failedAt: string } {
  return { ...m, createdAt: iso(m.createdAt), failedAt: iso(m.failedAt) };
}

/** An invalid date (a time out of range) as the epoch, so the JSON keeps a string. */
function iso(d: Date): string {
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}
