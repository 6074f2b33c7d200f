// The dead-letter set as the seeds' failed messages (docs/protocol.md §5.14): list, get, retry
// (back to the queue, attempts reset), delete. A dead letter keeps its message's id. The rows,
// pages and cursors are figures.ts's.
import type { DeadLetterDetail } from '../protocol/dead-letters.js';
import { ErrorCode, ProtocolError, errorCodeName } from '../protocol/error-codes.js';
import type { IdFailure } from '../protocol/ids.js';
import { failedListRequest, failedMessageDetail, failedPage, type FailedListOptions, type FailedMessageDetail, type FailedPage } from './figures.js';
import { toWireIds } from './ids.js';
import type { OperationsClient } from './operations.js';

export interface FailedActionResult {
  /** Acted on (or that would be, on a dry run). */
  ids: string[];
  /** Ids that are not dead letters (UNKNOWN_MESSAGE). */
  failures: Array<{ id: string; code: number; error: string }>;
}

export type IdList = string | bigint | ReadonlyArray<string | bigint>;

export class FailedMessages {
  constructor(private readonly client: () => OperationsClient) {}

  /** Throws MessageValidationError for a limit out of 1..1000 or a cursor that is not a nextCursor. */
  async list(options: FailedListOptions = {}): Promise<FailedPage> {
    return failedPage(await this.client().failedList(failedListRequest(options)));
  }

  /** null when `id` is not a dead letter. */
  async get(id: string | bigint): Promise<FailedMessageDetail | null> {
    const [wire] = toWireIds(id);
    let d: DeadLetterDetail;
    try {
      d = await this.client().failedGet(wire as bigint);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.UNKNOWN_MESSAGE) return null;
      throw err;
    }
    return failedMessageDetail(d);
  }

  /** Moves dead letters back to their queues: ready now, attempts reset. */
  async retry(ids: IdList, options: { dryRun?: boolean } = {}): Promise<FailedActionResult> {
    return actionResult(await this.client().failedRetry(toWireIds(ids), options));
  }

  async delete(ids: IdList): Promise<FailedActionResult> {
    return actionResult(await this.client().failedDelete(toWireIds(ids)));
  }
}

function actionResult(r: { messageIds: bigint[]; failures: IdFailure[] }): FailedActionResult {
  return {
    ids: r.messageIds.map(String),
    failures: r.failures.map((f) => ({ id: f.messageId.toString(), code: f.code, error: errorCodeName(f.code) })),
  };
}
