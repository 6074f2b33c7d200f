// A delivery as the application sees it: ids as bigint, times as Date, headers as an object,
// payload and metadata parsed from JSON. The raw pairs and text stay available.
import type { Delivery } from './protocol/consume.js';
import type { Header } from './protocol/headers.js';

export interface ReceivedDelivery {
  id: bigint;
  /** 1 on the first delivery. */
  attempt: number;
  priority: number;
  queue: string;
  type: string;
  /** Header pairs as an object (a repeated key keeps its last value); message-type, message-id
   *  and dispatched-at are set by the broker. */
  headers: Record<string, string>;
  /** The pairs in wire order. */
  headerList: Header[];
  /** The payload parsed from JSON; undefined if it does not parse (see payloadText). */
  payload: unknown;
  payloadText: string;
  /** Parsed metadata; undefined when the message has none. */
  metadata: unknown;
  createdAt: Date;
  /** Broker clock: ack, nack or touch before it. */
  leaseDeadline: Date;
  /** The broker's session that holds the lease (its logs name it). */
  sessionId: bigint;
  /** The client connection that holds the lease (Connection.id): once it is gone, so is the lease. */
  connectionId: number;
}

export function toReceivedDelivery(d: Delivery, sessionId: bigint, connectionId: number): ReceivedDelivery {
  const payloadText = d.payload.toString('utf8');
  return {
    id: d.messageId,
    attempt: d.attempt,
    priority: d.priority,
    queue: d.queue,
    type: d.type,
    headers: Object.fromEntries(d.headers),
    headerList: d.headers,
    payload: parseJson(payloadText),
    payloadText,
    metadata: d.metadata.length === 0 ? undefined : parseJson(d.metadata.toString('utf8')),
    createdAt: new Date(d.createdAtMs),
    leaseDeadline: new Date(d.leaseDeadlineMs),
    sessionId,
    connectionId,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the broker checked it at dispatch; keep the delivery usable anyway
  }
}
