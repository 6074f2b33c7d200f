// What a Worker reports, for logs and metrics: worker.on('processed', e => ...) or the onEvent
// option. Listeners must not throw (an exception is caught and dropped, so a logging bug cannot
// change how messages are settled).
import type { MessageEnvelope } from './types.js';

export type WorkerEvent =
  | { type: 'started'; queues: string[]; prefetch: number; leaseMs: number }
  /** The handler succeeded and the message was acked. */
  | { type: 'processed'; envelope: MessageEnvelope; durationMs: number }
  /** The handler failed (or the type has no handler) and the message was nacked: the broker
   *  scheduled a retry at `retryAt`, or dead-lettered it. */
  | {
      type: 'failed';
      envelope: MessageEnvelope;
      error: unknown;
      errorClass: string;
      retryable: boolean;
      outcome: 'retry-scheduled' | 'dead-lettered';
      retryAt: Date | undefined;
      durationMs: number;
    }
  /** Handed back unprocessed at shutdown (NACK RELEASE: the attempt is not counted). */
  | { type: 'released'; envelope: MessageEnvelope }
  /** The lease was extended (TOUCH). */
  | { type: 'extended'; envelope: MessageEnvelope; leaseDeadline: Date }
  /** The lease was gone before the message was settled (connection lost, lease expired): the
   *  broker redelivers it; the handler's result was dropped. */
  | { type: 'lost'; envelope: MessageEnvelope; reason: string }
  /** A broker call failed (connection lost, settle refused...). */
  | { type: 'error'; error: unknown; envelope?: MessageEnvelope }
  | { type: 'stopping'; reason: string }
  | { type: 'stopped' };

export type WorkerEventType = WorkerEvent['type'];
export type WorkerEventOf<T extends WorkerEventType> = Extract<WorkerEvent, { type: T }>;

export class EventHub {
  private readonly listeners = new Map<WorkerEventType, Set<(e: WorkerEvent) => void>>();

  constructor(private readonly all?: (e: WorkerEvent) => void) {}

  on<T extends WorkerEventType>(type: T, listener: (event: WorkerEventOf<T>) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const l = listener as (e: WorkerEvent) => void;
    set.add(l);
    return () => set.delete(l);
  }

  emit(event: WorkerEvent): void {
    call(this.all, event);
    for (const l of this.listeners.get(event.type) ?? []) call(l, event);
  }
}

function call(l: ((e: WorkerEvent) => void) | undefined, e: WorkerEvent): void {
  try {
    l?.(e);
  } catch {
    // see the header comment
  }
}
