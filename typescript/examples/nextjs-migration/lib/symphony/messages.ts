// The migration guide's message types: what each cron job's unit of work becomes. Each is a
// defineMessage() type: `new EmailMessage({...})` is a validated message (a ValidationError names
// the bad field; unknown keys are dropped), and `EmailMessage.handler(fn)` receives the payload
// validated again on receipt, so a producer's typo becomes a dead letter, not a crash loop.
// Where each type goes (its queue and priority) is lib/symphony/config.ts.
import { defineMessage } from 'symphony-messenger';
import { z } from 'zod';

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

export const EmailMessage = defineMessage('EmailMessage', EmailMessagePayload);
export const CampaignMessage = defineMessage('CampaignMessage', CampaignMessagePayload);
export const SMSMessage = defineMessage('SMSMessage', SMSMessagePayload);
