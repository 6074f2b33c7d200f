// The user guide's builders: `dispatchEmailMessage`, `dispatchCampaignMessage`,
// `dispatchSMSMessage` (imported from '@/lib/symphony/utils' as in the guide). Each resolves once the broker
// has the message durably, to `{ messageId }` as the guide's integration test expects.
//
// TODO(messenger): switch to the Messenger API: `dispatch(message, options)` from
// 'symphony-messenger' instead of getSymphonyClient().dispatch(), keeping these functions'
// signatures so that callers do not change.
import { getSymphonyClient } from 'symphony-messenger/next';
import type { SymphonyClient } from 'symphony-messenger';

// the client's own option and receipt types, whatever names the package root gives them
type DispatchOptions = NonNullable<Parameters<SymphonyClient['dispatch']>[1]>;
type DispatchReceipt = Awaited<ReturnType<SymphonyClient['dispatch']>>;
import {
  CampaignMessage,
  CampaignMessagePayload,
  EmailMessage,
  EmailMessagePayload,
  ROUTING,
  SMSMessage,
  SMSMessagePayload,
  type MessageType,
} from '../messages';

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

function result(r: DispatchReceipt): DispatchResult {
  return { messageId: r.id.toString(), queue: r.queue, duplicate: r.duplicate };
}

function options(type: MessageType, o: BuilderOptions, key: string | undefined): DispatchOptions {
  const out: DispatchOptions = { queue: ROUTING[type].queue, priority: o.priority ?? ROUTING[type].priority };
  const idempotencyKey = o.idempotencyKey ?? key;
  if (idempotencyKey !== undefined) out.idempotencyKey = idempotencyKey;
  if (o.scheduledAt !== undefined) out.scheduledAt = o.scheduledAt;
  return out;
}

// Each builder validates its payload with the type's zod schema before sending (a ZodError names
// the bad field; unknown keys are dropped), as the seeds' dispatcher does.

export async function dispatchEmailMessage(input: EmailMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const payload = EmailMessagePayload.parse(fields);
  // an email is sent once: its id is the key
  const o = options('EmailMessage', { priority, scheduledAt, idempotencyKey }, `email:${payload.emailId}`);
  return result(await getSymphonyClient().dispatch(new EmailMessage(payload), o));
}

export async function dispatchCampaignMessage(input: CampaignMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const payload = CampaignMessagePayload.parse(fields);
  // a campaign is processed on every cron tick: one message per campaign, action and minute
  const minute = new Date().toISOString().slice(0, 16);
  const key = `campaign:${payload.campaignId}:${payload.action}:${payload.recipientId ?? '-'}:${minute}`;
  const o = options('CampaignMessage', { priority, scheduledAt, idempotencyKey }, key);
  return result(await getSymphonyClient().dispatch(new CampaignMessage(payload), o));
}

export async function dispatchSMSMessage(input: SMSMessagePayload & BuilderOptions): Promise<DispatchResult> {
  const { priority, scheduledAt, idempotencyKey, ...fields } = input;
  const payload = SMSMessagePayload.parse(fields);
  // a drip step is sent once; a one-off SMS gets the client's random key
  const key = payload.dripId === undefined ? undefined : `sms:${payload.dripId}:${payload.to}`;
  const o = options('SMSMessage', { priority, scheduledAt, idempotencyKey }, key);
  return result(await getSymphonyClient().dispatch(new SMSMessage(payload), o));
}
