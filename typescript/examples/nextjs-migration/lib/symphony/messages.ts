// The migration guide's message types: what each cron job's unit of work becomes. Payloads are
// validated with zod by the handlers (a producer's typo becomes a dead letter, not a crash loop).
//
// TODO(messenger): switch to the Messenger API: `export const EmailMessage =
// defineMessage('EmailMessage', EmailMessagePayload)` (and the same for the other two) instead of
// the classes below, and the Messenger's routing configuration instead of ROUTING.
import { z } from 'zod';
import type { Message } from './handler-types';

export const EmailMessagePayload = z.object({
  emailId: z.string().min(1),
  userId: z.string().min(1),
  mailboxId: z.string().min(1),
  toEmail: z.string().email(),
  subject: z.string(),
  html: z.string(),
  fromName: z.string().optional(),
  fromEmail: z.string().email().optional(),
});
export type EmailMessagePayload = z.infer<typeof EmailMessagePayload>;

export const CampaignMessagePayload = z.object({
  campaignId: z.string().min(1),
  userId: z.string().min(1),
  action: z.enum(['process', 'pause', 'resume']),
  // the architecture's per-recipient step, when a campaign fans out to its recipients
  recipientId: z.string().optional(),
  stepId: z.string().optional(),
});
export type CampaignMessagePayload = z.infer<typeof CampaignMessagePayload>;

export const SMSMessagePayload = z.object({
  to: z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 phone number'),
  message: z.string().min(1).max(1600),
  userId: z.string().optional(),
  dripId: z.string().optional(),
});
export type SMSMessagePayload = z.infer<typeof SMSMessagePayload>;

export const MESSAGE_TYPES = ['EmailMessage', 'CampaignMessage', 'SMSMessage'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** symphony.config.ts of the architecture: EmailMessage -> email (priority 7), the rest -> async. */
export const ROUTING: Record<MessageType, { queue: string; priority: number }> = {
  EmailMessage: { queue: 'email', priority: 7 },
  CampaignMessage: { queue: 'async', priority: 5 },
  SMSMessage: { queue: 'async', priority: 5 },
};

/** The queues the worker consumes. */
export const QUEUES = [...new Set(Object.values(ROUTING).map((r) => r.queue))];

// The migration guide's unit tests build messages with `new EmailMessage({...})`.
export class EmailMessage implements Message {
  readonly type = 'EmailMessage';
  constructor(readonly payload: EmailMessagePayload) {}
}

export class CampaignMessage implements Message {
  readonly type = 'CampaignMessage';
  constructor(readonly payload: CampaignMessagePayload) {}
}

export class SMSMessage implements Message {
  readonly type = 'SMSMessage';
  constructor(readonly payload: SMSMessagePayload) {}
}
