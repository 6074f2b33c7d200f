// Migration example 1 (cron schedule unchanged): with SYMPHONY_EMAIL_QUEUE_ENABLED the job only
// dispatches one EmailMessage per queued email (milliseconds), and the worker sends them; without
// it the legacy loop runs as before.
import { isAuthorizedCronRequest, unauthorized } from '@/lib/cron-auth';
import { fetchQueuedEmails, processEmail } from '@/lib/legacy';
import { dispatchEmailQueueBatch, shouldUseSymphonyForEmailQueue } from '@/lib/symphony/integration/email-queue';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  if (!isAuthorizedCronRequest(request)) return unauthorized();
  const emails = await fetchQueuedEmails();

  if (shouldUseSymphonyForEmailQueue()) {
    const result = await dispatchEmailQueueBatch(emails);
    return Response.json({ mode: 'symphony', ...result });
  }

  // Legacy processing
  for (const email of emails) {
    await processEmail(email);
  }
  return Response.json({ mode: 'legacy', processed: emails.length });
}
