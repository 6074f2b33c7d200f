// Migration example 1: the email queue cron job dispatches one EmailMessage per queued email
// instead of sending inline.
import { DispatchError, MessageValidationError } from 'symphony-messenger';
import { markEmailDispatched, processEmail, type QueuedEmail } from '@/lib/legacy';
import { isSymphonyEnabledFor } from '../feature-flags';
import { dispatchEmailMessage } from '../utils';

export function shouldUseSymphonyForEmailQueue(): boolean {
  return isSymphonyEnabledFor('EMAIL_QUEUE');
}

export interface EmailQueueBatchResult {
  /** Now in the broker's 'email' queue. */
  dispatched: number;
  /** Refused by the broker (a full queue, an invalid payload): sent inline the legacy way. */
  legacy: number;
  /** Not confirmed (broker unreachable): left queued for the next cron run, whose dispatch
   *  carries the same idempotency key, so one that did arrive is not enqueued twice. */
  deferred: number;
}

export async function dispatchEmailQueueBatch(emails: readonly QueuedEmail[]): Promise<EmailQueueBatchResult> {
  const result: EmailQueueBatchResult = { dispatched: 0, legacy: 0, deferred: 0 };
  // started together, so the client sends them in a few DISPATCH frames; each carries its own
  // idempotency key (dispatchBatch() would give them one key, suffixed by position)
  const outcomes = await Promise.allSettled(
    emails.map((e) =>
      dispatchEmailMessage({
        emailId: e.id,
        userId: e.user_id,
        mailboxId: e.mailbox_id,
        toEmail: e.to_email,
        subject: e.subject,
        html: e.html,
        ...(e.from_name !== undefined && { fromName: e.from_name }),
        ...(e.from_email !== undefined && { fromEmail: e.from_email }),
        ...(e.priority !== undefined && { priority: e.priority }),
      }),
    ),
  );
  for (const [i, outcome] of outcomes.entries()) {
    const email = emails[i];
    if (email === undefined) continue;
    if (outcome.status === 'fulfilled') {
      await markEmailDispatched(email.id, outcome.value.messageId);
      result.dispatched++;
    } else if (outcome.reason instanceof DispatchError || outcome.reason instanceof MessageValidationError) {
      // definitely not enqueued: safe to send the old way now
      await processEmail(email);
      result.legacy++;
    } else {
      result.deferred++;
    }
  }
  return result;
}
