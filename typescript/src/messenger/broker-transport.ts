// The default transport: the broker, through a SymphonyClient (concurrent sends coalesce into one
// DISPATCH frame; a resend after a lost connection reuses the idempotency key).
import type { SymphonyClient } from '../client.js';
import { DispatchError, type DispatchEnvelope, type DispatchOptions as ClientDispatchOptions, type DispatchReceipt } from '../message.js';
import type { SendRequest, Transport } from './transport.js';
import type { DispatchedEnvelope, DispatchOutcome } from './types.js';

/** What the transport needs of a client (a test can pass a fake). */
export type DispatchClient = Pick<SymphonyClient, 'dispatch' | 'close'>;

export class BrokerTransport implements Transport {
  readonly name = 'symphony';

  /** `owned`: close() closes the client too. */
  constructor(
    readonly client: DispatchClient,
    private readonly owned: boolean,
  ) {}

  async send(r: SendRequest): Promise<DispatchOutcome> {
    const sends = r.targets.map((t) => {
      const o: ClientDispatchOptions = { idempotencyKey: r.idempotencyKey };
      if (t.queue !== '') o.queue = t.queue;
      if (t.priority !== undefined) o.priority = t.priority;
      if (r.delayMs !== undefined) o.delayMs = r.delayMs;
      if (r.scheduledAt !== undefined) o.scheduledAt = r.scheduledAt;
      if (r.headers !== undefined) o.headers = r.headers;
      if (r.metadata !== undefined) o.metadata = r.metadata;
      const m = r.message.metadata === undefined ? { type: r.message.type, payload: r.message.payload } : { type: r.message.type, payload: r.message.payload, metadata: r.message.metadata };
      return this.client.dispatch(m, o);
    });
    if (sends.length === 1) return toOutcome(r.message.type, await (sends[0] as Promise<DispatchReceipt>));
    const settled = await Promise.allSettled(sends);
    const receipts = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      // a routing fan-out is one dispatch: report it failed, with the queues that took it
      const err: unknown = failure.reason;
      if (err instanceof DispatchError) throw new DispatchError(err.code, err.message, [...receipts.flatMap((x) => x.envelopes), ...err.accepted]);
      throw err;
    }
    const first = receipts[0] as DispatchReceipt;
    const outcome = toOutcome(r.message.type, first);
    outcome.envelopes = receipts.flatMap((x) => x.envelopes.map(toEnvelope));
    return outcome;
  }

  async close(): Promise<void> {
    if (this.owned) await this.client.close();
  }
}

export function toEnvelope(e: DispatchEnvelope): DispatchedEnvelope {
  return { messageId: e.id.toString(), queue: e.queue, duplicate: e.duplicate, status: e.status };
}

function toOutcome(type: string, r: DispatchReceipt): DispatchOutcome {
  return { ...toEnvelope(r), type, idempotencyKey: r.idempotencyKey, envelopes: r.envelopes.map(toEnvelope) };
}
