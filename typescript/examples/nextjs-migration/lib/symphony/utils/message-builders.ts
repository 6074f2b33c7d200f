// The user guide's builders: `dispatchEmailMessage`, `dispatchCampaignMessage`,
// `dispatchSMSMessage` (imported from '@/lib/symphony/utils' as in the guide). Each validates its
// payload against the type's schema (a ValidationError names the bad field; unknown keys are
// dropped), dispatches it with the Messenger's dispatch(), routed by lib/symphony/config.ts, and
// resolves once the broker has the message durably, to `{ messageId }` as the guide's
// integration test expects.
import { dispatch, type DispatchOptions, type Message } from 'symphony-messenger';
import { configureMessenger } from '../config';
import { CampaignMessage, EmailMessage, SMSMessage, type CampaignMessagePayload, type EmailMessagePayload, type SMSMessagePayload } from '../messages';

export interface DispatchResult {
  /** The broker's message id (decimal: ids are 64-bit). */
  messageId: string;
  queue: string;
  /** True when the idempotency key had been seen: nothing new was enqueued. */
  duplicate: boolean;
}

export interface BuilderOptions {
  /** 1..10, higher first. Default: the message type's (email 7, others 5). */
  priority?: number;
  scheduledAt?: Date;
  /** Default: one derived from the payload, so a cron job that runs twice enqueues once. */
  idempotencyKey?: string;
}

async function send(message: Message, o: BuilderOptions, key: string | undefined): Promise<DispatchResult> {
  const options: DispatchOptions = {};
  if (o.priority !== undefined) options.priority = o.priority;
  if (o.scheduledAt !== undefined) options.scheduledAt = o.scheduledAt;
  const idempotencyKey = o.idempotencyKey ?? key;
  if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
  configureMessenger();
  const r = await dispatch(message, options);
  return { messageId: r.messageId, queue: r.queue, duplicate: r.duplicate };
}

export async function dispatchEmailMessage(input: EmailMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const message = new EmailMessage(fields);
  // an email is sent once: its id is the key
  return send(message, { priority, scheduledAt, idempotencyKey }, `email:${message.payload.emailId}`);
}

export async function dispatchCampaignMessage(input: CampaignMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const message = new CampaignMessage(fields);
  const p = message.payload;
  // a campaign is processed on every cron tick: one message per campaign, action and minute
  const minute = new Date().toISOString().slice(0, 16);
  return send(message, { priority, scheduledAt, idempotencyKey }, `campaign:${p.campaignId}:${p.action}:${p.recipientId ?? '-'}:${minute}`);
}

export async function dispatchSMSMessage(input: SMSMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const message = new SMSMessage(fields);
  const p = message.payload;
  // a drip step is sent once; a one-off SMS gets a random key
  return send(message, { priority, scheduledAt, idempotencyKey }, p.dripId === undefined ? undefined : `sms:${p.dripId}:${p.to}`);
}
