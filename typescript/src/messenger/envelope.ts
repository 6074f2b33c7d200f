// A delivery as a handler sees it: the seeds' MessageEnvelope, ids as decimal strings.
import type { ReceivedDelivery } from '../delivery.js';
import type { Message, MessageEnvelope } from './types.js';

export function envelopeFromDelivery(d: ReceivedDelivery): MessageEnvelope {
  const metadata = isObject(d.metadata) ? d.metadata : undefined;
  // the broker accepted only a JSON object payload; {} stands in for one that does not parse
  const message: Message = { type: d.type, payload: isObject(d.payload) ? d.payload : {} };
  if (metadata !== undefined) message.metadata = metadata;
  return {
    id: d.id.toString(),
    type: d.type,
    queue: d.queue,
    priority: d.priority,
    attempt: d.attempt,
    headers: d.headers,
    createdAt: d.createdAt,
    leaseDeadline: d.leaseDeadline,
    metadata,
    message,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
