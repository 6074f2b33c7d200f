// Where the Messenger sends a dispatch: the broker (BrokerTransport, the default) or the process
// itself (SyncTransport, for tests). The Messenger has already validated the message, resolved
// its targets and generated its idempotency key.
import type { RetryPolicy } from './retry-policy.js';
import type { Target } from './settings.js';
import type { DispatchOutcome, Message } from './types.js';

export interface SendRequest {
  message: Message;
  /** At least one; several for a fan-out routing. */
  targets: Target[];
  delayMs: number | undefined;
  scheduledAt: Date | undefined;
  /** Shared by every target (the broker deduplicates per queue). */
  idempotencyKey: string;
  headers: Record<string, string> | undefined;
  metadata: Record<string, unknown> | undefined;
  /** The message type's retry policy (SyncTransport applies it; the broker has its own). */
  retry: RetryPolicy;
}

export interface Transport {
  readonly name: string;
  send(request: SendRequest): Promise<DispatchOutcome>;
  close(): Promise<void>;
}
