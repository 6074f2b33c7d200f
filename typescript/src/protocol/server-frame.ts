// One entry point for everything a client receives: a reply, a DELIVER, an ERROR or a GOAWAY,
// decoded by its opcode into a discriminated union (switch on `opcode` to narrow `value`).
import { decodeDeliver, decodeCreditOk, decodeSubscribed, type CreditOk, type Delivery, type Subscribed } from './consume.js';
import { decodeError, decodeGoaway, decodePong, type ErrorFrame, type Goaway, type Pong } from './control.js';
import {
  decodeDeadLetterActionResult,
  decodeFailedGetResult,
  decodeFailedListResult,
  type DeadLetterActionResult,
  type DeadLetterDetail,
  type FailedListResult,
} from './dead-letters.js';
import { decodeDispatchResult, type DispatchResult } from './dispatch.js';
import { ErrorCode, ProtocolError } from './error-codes.js';
import { Opcode, isOpcode, opcodeName, type Frame } from './frame.js';
import { decodeWelcome, type Welcome } from './handshake.js';
import { decodeDocumentResult } from './observe.js';
import { decodeMessageStatusResult, decodeQueuePurgeResult, type MessageStatusItem } from './queue-admin.js';
import {
  decodeScheduleListResult,
  decodeScheduleResult,
  decodeScheduleUpdateResult,
  type ScheduleInfo,
} from './schedules.js';
import {
  decodeAckResult,
  decodeNackResult,
  decodeTouchResult,
  type AckResult,
  type NackResultItem,
  type TouchResultItem,
} from './settle.js';
import { decodeQueueStatsResult, type QueueStats } from './stats.js';

/** The decoded value of each frame a server sends, by opcode. */
export interface ServerFrameValues {
  [Opcode.WELCOME]: Welcome;
  [Opcode.PONG]: Pong;
  [Opcode.DISPATCH_RESULT]: DispatchResult[];
  [Opcode.SUBSCRIBED]: Subscribed;
  [Opcode.CREDIT_OK]: CreditOk;
  [Opcode.ACK_RESULT]: AckResult;
  [Opcode.NACK_RESULT]: NackResultItem[];
  [Opcode.TOUCH_RESULT]: TouchResultItem[];
  [Opcode.QUEUE_STATS_RESULT]: QueueStats[];
  [Opcode.QUEUE_PURGE_RESULT]: bigint;
  [Opcode.MESSAGE_STATUS_RESULT]: MessageStatusItem[];
  [Opcode.OVERVIEW_RESULT]: string;
  [Opcode.HEALTH_RESULT]: string;
  [Opcode.METRICS_RESULT]: string;
  [Opcode.BACKUP_RESULT]: string;
  [Opcode.FAILED_LIST_RESULT]: FailedListResult;
  [Opcode.FAILED_GET_RESULT]: DeadLetterDetail;
  [Opcode.FAILED_RETRY_RESULT]: DeadLetterActionResult;
  [Opcode.FAILED_DELETE_RESULT]: DeadLetterActionResult;
  [Opcode.SCHEDULE_CREATE_RESULT]: ScheduleInfo;
  [Opcode.SCHEDULE_LIST_RESULT]: ScheduleInfo[];
  [Opcode.SCHEDULE_GET_RESULT]: ScheduleInfo;
  [Opcode.SCHEDULE_UPDATE_RESULT]: ScheduleInfo | null;
  [Opcode.DELIVER]: Delivery[];
  [Opcode.ERROR]: ErrorFrame;
  [Opcode.GOAWAY]: Goaway;
}

export type ServerOpcode = keyof ServerFrameValues;

export type ServerFrame = {
  [K in ServerOpcode]: { opcode: K; flags: number; requestId: number; value: ServerFrameValues[K] };
}[ServerOpcode];

const decoders: { [K in ServerOpcode]: (body: Buffer) => ServerFrameValues[K] } = {
  [Opcode.WELCOME]: decodeWelcome,
  [Opcode.PONG]: decodePong,
  [Opcode.DISPATCH_RESULT]: decodeDispatchResult,
  [Opcode.SUBSCRIBED]: decodeSubscribed,
  [Opcode.CREDIT_OK]: decodeCreditOk,
  [Opcode.ACK_RESULT]: decodeAckResult,
  [Opcode.NACK_RESULT]: decodeNackResult,
  [Opcode.TOUCH_RESULT]: decodeTouchResult,
  [Opcode.QUEUE_STATS_RESULT]: decodeQueueStatsResult,
  [Opcode.QUEUE_PURGE_RESULT]: decodeQueuePurgeResult,
  [Opcode.MESSAGE_STATUS_RESULT]: decodeMessageStatusResult,
  [Opcode.OVERVIEW_RESULT]: decodeDocumentResult,
  [Opcode.HEALTH_RESULT]: decodeDocumentResult,
  [Opcode.METRICS_RESULT]: decodeDocumentResult,
  [Opcode.BACKUP_RESULT]: decodeDocumentResult,
  [Opcode.FAILED_LIST_RESULT]: decodeFailedListResult,
  [Opcode.FAILED_GET_RESULT]: decodeFailedGetResult,
  [Opcode.FAILED_RETRY_RESULT]: decodeDeadLetterActionResult,
  [Opcode.FAILED_DELETE_RESULT]: decodeDeadLetterActionResult,
  [Opcode.SCHEDULE_CREATE_RESULT]: decodeScheduleResult,
  [Opcode.SCHEDULE_LIST_RESULT]: decodeScheduleListResult,
  [Opcode.SCHEDULE_GET_RESULT]: decodeScheduleResult,
  [Opcode.SCHEDULE_UPDATE_RESULT]: decodeScheduleUpdateResult,
  [Opcode.DELIVER]: decodeDeliver,
  [Opcode.ERROR]: decodeError,
  [Opcode.GOAWAY]: decodeGoaway,
};

/** True for the opcodes a server may send (replies and pushes). */
export function isServerOpcode(op: number): op is ServerOpcode {
  return Object.prototype.hasOwnProperty.call(decoders, op);
}

/**
 * Decodes a frame received from the broker. Throws ProtocolError: UNKNOWN_OPCODE for a value
 * §4 does not define, UNEXPECTED_FRAME for a request opcode, MALFORMED_FRAME for a bad body.
 */
export function decodeServerFrame(frame: Frame): ServerFrame {
  const { opcode, flags, requestId, body } = frame;
  if (!isServerOpcode(opcode)) {
    const code = isOpcode(opcode) ? ErrorCode.UNEXPECTED_FRAME : ErrorCode.UNKNOWN_OPCODE;
    throw new ProtocolError(code, `a server does not send ${opcodeName(opcode)}`, { requestId });
  }
  const decode = decoders[opcode] as (body: Buffer) => ServerFrameValues[ServerOpcode];
  try {
    return { opcode, flags, requestId, value: decode(body) } as ServerFrame;
  } catch (err) {
    // name the request the bad body answered, so the caller can fail that request
    if (err instanceof ProtocolError && err.requestId === undefined) {
      throw new ProtocolError(err.code, err.message, { requestId, cause: err });
    }
    throw err;
  }
}
