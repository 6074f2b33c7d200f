// Stand-ins for the application modules the seeds' examples import that are not part of this
// package (LeadMap's message builders, its cron-job integrations, its mailbox sending and data
// access, Next.js's NextRequest, Jest's globals). The builders and integrations are written with
// this package's API, the way an application would; the rest is declared only: this file is
// type-checked (tsc --noEmit), never run.
import { z } from 'zod';
import { defineMessage, dispatchBatch, isEnabled, type DispatchOutcome, type MessageEnvelope, type HandlerContext } from '../../src/index.js';

// ---- '@/lib/symphony/examples/messages' and '@/lib/symphony/utils' (message-builders) ----

const emailPayload = z.object({
  emailId: z.string(),
  userId: z.string(),
  mailboxId: z.string(),
  toEmail: z.string().email(),
  subject: z.string(),
  html: z.string(),
  fromName: z.string().optional(),
  fromEmail: z.string().email().optional(),
});
export type EmailMessagePayload = z.infer<typeof emailPayload>;
export const EmailMessage = defineMessage('EmailMessage', emailPayload);

export function dispatchEmailMessage(input: z.input<typeof emailPayload> & { priority?: number }): Promise<DispatchOutcome> {
  const { priority, ...payload } = input;
  return EmailMessage.dispatch(payload, priority === undefined ? {} : { priority });
}

export const CampaignMessage = defineMessage(
  'CampaignMessage',
  z.object({ campaignId: z.string(), userId: z.string(), action: z.enum(['process', 'pause', 'resume']) }),
);

export function dispatchCampaignMessage(payload: z.input<typeof CampaignMessage.schema>): Promise<DispatchOutcome> {
  return CampaignMessage.dispatch(payload);
}

export const SMSMessage = defineMessage('SMSMessage', z.object({ to: z.string(), message: z.string().min(1) }));

export function dispatchSMSMessage(payload: z.input<typeof SMSMessage.schema>): Promise<DispatchOutcome> {
  return SMSMessage.dispatch(payload);
}

// ---- '@/lib/symphony/integration/email-queue' and '.../campaigns' (feature-flagged) ----

export interface QueuedEmail {
  id: string;
  user_id: string;
  mailbox_id: string;
  to_email: string;
  subject: string;
  html: string;
}

export const shouldUseSymphonyForEmailQueue = (): boolean => isEnabled('EMAIL_QUEUE');
export const shouldUseSymphonyForCampaigns = (): boolean => isEnabled('CAMPAIGN_PROCESSING');

/** Emails that cannot be dispatched stay with the legacy path. */
export async function dispatchEmailQueueBatch(emails: QueuedEmail[]): Promise<{ dispatched: number; legacy: number }> {
  const results = await dispatchBatch(
    emails.map((e) => ({
      type: 'EmailMessage',
      payload: { emailId: e.id, userId: e.user_id, mailboxId: e.mailbox_id, toEmail: e.to_email, subject: e.subject, html: e.html },
    })),
    { priority: 7 },
  );
  const dispatched = results.filter((r) => r.success).length;
  return { dispatched, legacy: results.length - dispatched };
}

export function dispatchCampaignProcessing(campaignId: string, userId: string, options: { action: 'process' | 'pause' | 'resume' }): Promise<DispatchOutcome> {
  return CampaignMessage.dispatch({ campaignId, userId, action: options.action }, { idempotencyKey: `campaign:${campaignId}:${options.action}` });
}

// ---- the application's own code: declared only ----

export interface Mailbox {
  id: string;
  provider: string;
}
export declare function fetchMailbox(mailboxId: string): Promise<Mailbox>;
export declare function sendViaMailbox(options: {
  mailbox: Mailbox;
  to: string;
  subject: string;
  html: string;
  fromName?: string | undefined;
  fromEmail?: string | undefined;
}): Promise<{ success: boolean; error?: string }>;
export declare function fetchQueuedEmails(): Promise<QueuedEmail[]>;
export declare function processEmail(email: QueuedEmail): Promise<void>;
export interface Campaign {
  id: string;
  user_id: string;
}
export declare function fetchActiveCampaigns(): Promise<Campaign[]>;
export declare function processCampaign(campaign: Campaign): Promise<void>;

// next/server
export type NextRequest = Request;

// Jest's globals, and the fixtures its examples use without defining
export declare function describe(name: string, fn: () => void): void;
export declare function it(name: string, fn: () => Promise<void>): void;
export declare function expect(value: unknown): { toBeDefined(): void };
export declare const envelope: MessageEnvelope;
export declare const context: HandlerContext;
