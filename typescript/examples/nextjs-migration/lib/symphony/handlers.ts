// One handler per message type: the work each cron job did inline, now run by the worker.
import type { ZodType } from 'zod';
import { fetchMailbox, processCampaign, sendSms, sendViaMailbox, wasEmailSent } from '@/lib/legacy';
import { HandlerError, type HandlerContext, type Message, type MessageEnvelope, type MessageHandler } from './handler-types';
import { CampaignMessagePayload, EmailMessagePayload, SMSMessagePayload } from './messages';

/** The payload checked against its schema: a message that cannot ever work is not retried. */
function payloadOf<T>(message: Message, type: string, schema: ZodType<T>): T {
  if (message.type !== type) throw new HandlerError(`Invalid message type ${message.type}`, false);
  const parsed = schema.safeParse(message.payload);
  if (!parsed.success) throw new HandlerError(`Invalid ${type} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, false);
  return parsed.data;
}

export class EmailMessageHandler implements MessageHandler {
  async handle(message: Message, _envelope: MessageEnvelope, context: HandlerContext): Promise<void> {
    const payload = payloadOf(message, 'EmailMessage', EmailMessagePayload);
    // a redelivery (worker crash, lease expiry) must not send the email twice
    if (await wasEmailSent(payload.emailId)) {
      context.log(`email ${payload.emailId} was sent already`);
      return;
    }
    const mailbox = await fetchMailbox(payload.mailboxId);
    const result = await sendViaMailbox({
      mailbox,
      to: payload.toEmail,
      subject: payload.subject,
      html: payload.html,
      fromName: payload.fromName,
      fromEmail: payload.fromEmail,
    });
    if (!result.success) throw new HandlerError(result.error || 'Failed to send email', true);
  }
}

export class CampaignMessageHandler implements MessageHandler {
  async handle(message: Message): Promise<void> {
    const payload = payloadOf(message, 'CampaignMessage', CampaignMessagePayload);
    if (payload.action !== 'process') return; // pause / resume: state changes the app records elsewhere
    await processCampaign({ id: payload.campaignId, user_id: payload.userId });
  }
}

export class SMSMessageHandler implements MessageHandler {
  async handle(message: Message): Promise<void> {
    const payload = payloadOf(message, 'SMSMessage', SMSMessagePayload);
    const result = await sendSms(payload.to, payload.message);
    // a refused number will never work; a provider outage might next time
    if (!result.success) throw new HandlerError(result.error || 'Failed to send SMS', !result.permanent);
  }
}

/**
 * type -> handler, as the seeds' HandlerRegistry.
 * TODO(messenger): switch to the Messenger API: `export const registry = new HandlerRegistry()
 * .register('EmailMessage', new EmailMessageHandler())...`, which the Worker takes.
 */
export const handlers: ReadonlyMap<string, MessageHandler> = new Map<string, MessageHandler>([
  ['EmailMessage', new EmailMessageHandler()],
  ['CampaignMessage', new CampaignMessageHandler()],
  ['SMSMessage', new SMSMessageHandler()],
]);
