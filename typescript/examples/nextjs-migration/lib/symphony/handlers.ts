// One handler per message type: the work each cron job did inline, now run by the worker (see
// worker.ts). Each receives its payload validated against the type's schema; one that fails it is
// dead-lettered at once (error class ValidationError) without calling the handler.
//   HandlerError(message, true)   retry with the broker's backoff (dead letter when exhausted)
//   HandlerError(message, false)  dead letter now (bad input, a refused number)
//   any other error               retry (network and other transient failures)
import { HandlerError, HandlerRegistry, loggingMiddleware } from 'symphony-messenger';
import { fetchMailbox, processCampaign, sendSms, sendViaMailbox, wasEmailSent } from '@/lib/legacy';
import { CampaignMessage, EmailMessage, SMSMessage } from './messages';

export const emailMessageHandler = EmailMessage.handler(async ({ payload }, _envelope, context) => {
  // a redelivery (worker crash, lease expiry) must not send the email twice
  if (await wasEmailSent(payload.emailId)) {
    context.logger.info(`email ${payload.emailId} was sent already`);
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
});

export const campaignMessageHandler = CampaignMessage.handler(async ({ payload }) => {
  if (payload.action !== 'process') return; // pause / resume: state changes the app records elsewhere
  await processCampaign({ id: payload.campaignId, user_id: payload.userId });
});

export const smsMessageHandler = SMSMessage.handler(async ({ payload }) => {
  const result = await sendSms(payload.to, payload.message);
  // a refused number will never work; a provider outage might next time
  if (!result.success) throw new HandlerError(result.error || 'Failed to send SMS', !result.permanent);
});

/** type -> handler, with every call logged (its outcome, duration, and a failure's class). */
export const registry = new HandlerRegistry()
  .use(loggingMiddleware())
  .register(emailMessageHandler)
  .register(campaignMessageHandler)
  .register(smsMessageHandler);
