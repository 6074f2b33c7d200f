// The dead-letter set as the seeds' failed messages (docs/protocol.md §5.14): list, get, retry
// (back to the queue, attempts reset), delete. A dead letter keeps its message's id.
import { Buffer } from 'node:buffer';
import type { DeadLetterSummary } from '../protocol/dead-letters.js';
import { ErrorCode, ProtocolError, errorCodeName } from '../protocol/error-codes.js';
import type { IdFailure } from '../protocol/ids.js';
import { MessageValidationError } from './errors.js';
import { toWireIds } from './ids.js';
import type { OperationsClient } from './operations.js';

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

export interface FailedMessage {
  id: string;
  /** The same as `id` (the seeds' rows have both). */
  messageId: string;
  queue: string;
  type: string;
  priority: number;
  /** The last failure's. */
  error: string;
  errorClass: string;
  /** Deliveries it had. */
  attempts: number;
  /** attempts - 1 (the seeds' retry_count). */
  retryCount: number;
  createdAt: Date;
  failedAt: Date;
}

export interface FailedPage {
  messages: FailedMessage[];
  /** Every match, across pages. */
  total: number;
  /** null on the last page. */
  nextCursor: string | null;
}

export interface FailedMessageDetail extends FailedMessage {
  /** Every failed attempt: nacks, expired leases (LeaseExpired), lost consumers (ConsumerGone). */
  failures: Array<{ attempt: number; failedAt: Date; error: string; errorClass: string }>;
  headers: Record<string, string>;
  payload: unknown;
  metadata: unknown;
  idempotencyKey: string;
}

export interface FailedActionResult {
  /** Acted on (or that would be, on a dry run). */
  ids: string[];
  /** Ids that are not dead letters (UNKNOWN_MESSAGE). */
  failures: Array<{ id: string; code: number; error: string }>;
}

export type IdList = string | bigint | ReadonlyArray<string | bigint>;

export class FailedMessages {
  constructor(private readonly client: () => OperationsClient) {}

  async list(options: FailedListOptions = {}): Promise<FailedPage> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new MessageValidationError(`limit must be an integer from 1 to 1000, got ${String(limit)}`);
    const cursor = options.cursor === undefined ? { failedAtMs: 0, id: 0n } : decodeCursor(options.cursor);
    const filter = {
      ...(options.queue !== undefined && { queue: options.queue }),
      ...(options.type !== undefined && { type: options.type }),
      ...(options.errorClass !== undefined && { errorClass: options.errorClass }),
      ...(options.failedFrom !== undefined && { failedFromMs: options.failedFrom.getTime() }),
      ...(options.failedTo !== undefined && { failedToMs: options.failedTo.getTime() }),
    };
    const r = await this.client().failedList({ filter, limit, cursorFailedAtMs: cursor.failedAtMs, cursorId: cursor.id });
    const last = r.nextCursorFailedAtMs === 0 && r.nextCursorId === 0n;
    return { messages: r.items.map(failedMessage), total: Number(r.total), nextCursor: last ? null : `${r.nextCursorFailedAtMs}-${r.nextCursorId}` };
  }

  /** null when `id` is not a dead letter. */
  async get(id: string | bigint): Promise<FailedMessageDetail | null> {
    const [wire] = toWireIds(id);
    let d;
    try {
      d = await this.client().failedGet(wire as bigint);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.UNKNOWN_MESSAGE) return null;
      throw err;
    }
    return {
      ...failedMessage(d.summary),
      failures: d.failures.map((f) => ({ attempt: f.attempt, failedAt: new Date(f.failedAtMs), error: f.error, errorClass: f.errorClass })),
      headers: Object.fromEntries(d.headers),
      payload: parse(d.payload),
      metadata: d.metadata.length === 0 ? undefined : parse(d.metadata),
      idempotencyKey: d.idempotencyKey,
    };
  }

  /** Moves dead letters back to their queues: ready now, attempts reset. */
  async retry(ids: IdList, options: { dryRun?: boolean } = {}): Promise<FailedActionResult> {
    return actionResult(await this.client().failedRetry(toWireIds(ids), options));
  }

  async delete(ids: IdList): Promise<FailedActionResult> {
    return actionResult(await this.client().failedDelete(toWireIds(ids)));
  }
}

function failedMessage(s: DeadLetterSummary): FailedMessage {
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

function actionResult(r: { messageIds: bigint[]; failures: IdFailure[] }): FailedActionResult {
  return {
    ids: r.messageIds.map(String),
    failures: r.failures.map((f) => ({ id: f.messageId.toString(), code: f.code, error: errorCodeName(f.code) })),
  };
}

/** "<failed_at_ms>-<id>": the broker's page cursor. */
function decodeCursor(text: string): { failedAtMs: number; id: bigint } {
  const m = /^([0-9]{1,16})-([0-9]{1,20})$/.exec(text);
  if (!m) throw new MessageValidationError(`not a failed-list cursor: ${JSON.stringify(text)}`);
  return { failedAtMs: Number(m[1]), id: BigInt(m[2] as string) };
}

function parse(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
