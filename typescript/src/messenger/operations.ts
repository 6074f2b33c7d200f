// The seeds' monitoring calls (health, metrics, queue status, message status) on the broker's
// documents (docs/protocol.md §5.12-5.13). The figures themselves, and the words they use
// (pending, processing, depth, failed, completed), are in figures.ts.
import type { SymphonyClient } from '../client.js';
import { envelopeStatusName, type EnvelopeStatusName } from '../protocol/dispatch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MessageValidationError } from './errors.js';
import { DEFAULT_METRICS_MINUTES, MAX_METRICS_MINUTES, healthStatus, metricsReport, systemStatus, type HealthStatus, type MetricsReport, type SystemStatus } from './figures.js';
import { toWireId } from './ids.js';

export type OperationsClient = Pick<SymphonyClient, 'health' | 'overview' | 'metrics' | 'messageStatus' | 'failedList' | 'failedGet' | 'failedRetry' | 'failedDelete'>;

export interface MetricsOptions {
  /** The window, 1..60. Default: 60. */
  minutes?: number;
  /** One queue; default: every queue. */
  queue?: string;
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
    return healthStatus(report, overview);
  }

  async status(): Promise<SystemStatus> {
    return systemStatus(await this.client().overview(1));
  }

  async metrics(options: MetricsOptions = {}): Promise<MetricsReport> {
    const minutes = options.minutes ?? DEFAULT_METRICS_MINUTES;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_METRICS_MINUTES) {
      throw new MessageValidationError(`minutes must be an integer from 1 to ${MAX_METRICS_MINUTES}, got ${String(minutes)}`);
    }
    return metricsReport(await this.client().overview(minutes), minutes, options.queue);
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
