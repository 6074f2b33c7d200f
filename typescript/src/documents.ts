// The JSON documents of OVERVIEW and HEALTH (docs/protocol.md §5.13, docs/operations.md).
import { ErrorCode, ProtocolError } from './protocol/error-codes.js';

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** Why, one sentence each. */
  reasons: string[];
  checks: Record<string, unknown>;
}

/** GET /status: `time`, `queues` (by name), `totals`, `schedules`. */
export interface Overview {
  time: string;
  queues: Record<string, Record<string, unknown>>;
  totals: Record<string, unknown>;
  schedules: number;
  [key: string]: unknown;
}

export function parseDocument<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ProtocolError(ErrorCode.MALFORMED_FRAME, `${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
