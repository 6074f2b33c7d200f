// The seeds' data types: what a producer dispatches (Message, DispatchOptions), what it gets back
// (DispatchOutcome, BatchDispatchResult) and what a handler receives with a message
// (MessageEnvelope).
//
// Ids. Every id in this API (messageId, MessageEnvelope.id, failed-message ids) is the broker's
// u64 message id as a decimal string ("42"): JSON-safe (a Next.js route can return it as is,
// which a bigint cannot), exact beyond 2^53, and a string like the seeds' UUIDs. Functions that
// take an id accept the string or a bigint. The low-level SymphonyClient keeps bigint.
import type { EnvelopeStatusName } from '../protocol/dispatch.js';

export type MessageMetadata = Record<string, unknown>;

/** The seeds' message: a type and a JSON object payload. */
export interface Message {
  type: string;
  payload: Record<string, unknown>;
  metadata?: MessageMetadata;
}

/** A decimal string: see the header comment. */
export type MessageId = string;

export interface DispatchOptions {
  /** 1..10, higher is delivered first. Default: the transport's, SYMPHONY_DEFAULT_PRIORITY, or
   *  the queue's default (5). */
  priority?: number;
  /** Destination queue; overrides `transport` and the routing. */
  queue?: string;
  /** A transport name from the config, or a queue name (transports are queues here). */
  transport?: string;
  /** Available at this time. Not with `delay`. */
  scheduledAt?: Date;
  /** Available after this many ms. Not with `scheduledAt`. */
  delay?: number;
  /** Dispatches with the same key to the same queue within 24 h enqueue once (the result says
   *  `duplicate`). Default: a random UUID, so a resend after a lost connection is safe. */
  idempotencyKey?: string;
  /** Merged over the message's metadata. */
  metadata?: MessageMetadata;
  /** Custom headers. message-type, message-id and dispatched-at are set by the broker. */
  headers?: Record<string, string>;
}

/** One envelope created by a dispatch: a fan-out creates one per queue. */
export interface DispatchedEnvelope {
  messageId: MessageId;
  queue: string;
  /** True when the idempotency key had been seen: nothing new was enqueued and `messageId` is
   *  the original message's. */
  duplicate: boolean;
  /** pending, processing, completed or failed (the original's, for a duplicate). */
  status: EnvelopeStatusName;
}

/** A confirmed dispatch: the message is durable under the broker's fsync policy. */
export interface DispatchOutcome extends DispatchedEnvelope {
  type: string;
  /** The key it was sent with (generated when none was given). */
  idempotencyKey: string;
  /** Every envelope created; the first is repeated at the top level. */
  envelopes: DispatchedEnvelope[];
}

/** One entry of dispatchBatch() or dispatchToTransports(): a bad message fails alone. */
export type BatchDispatchResult =
  | (DispatchOutcome & { success: true; error?: undefined; transport?: string })
  | {
      success: false;
      error: Error;
      type: string;
      /** The destination, when it was known. */
      queue?: string;
      transport?: string;
      messageId?: undefined;
    };

/** What a delivery carries: the message and where it stands. */
export interface MessageEnvelope {
  id: MessageId;
  type: string;
  queue: string;
  priority: number;
  /** 1 on the first delivery; each retry, expired lease or lost consumer adds one. */
  attempt: number;
  /** message-type, message-id and dispatched-at (set by the broker), then the custom ones. */
  headers: Record<string, string>;
  createdAt: Date;
  /** Settle or touch before it (the broker's clock). Far in the future for SyncTransport. */
  leaseDeadline: Date;
  metadata: MessageMetadata | undefined;
  /** The message itself. */
  message: Message;
}
