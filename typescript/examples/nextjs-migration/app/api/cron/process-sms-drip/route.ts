// Phase 4: one SMSMessage per due drip step (keyed by drip id: a tick that runs twice sends once).
import { isAuthorizedCronRequest, unauthorized } from '@/lib/cron-auth';
import { fetchDueSmsDrips, processSmsDrip } from '@/lib/legacy';
import { dispatchSmsDrip, shouldUseSymphonyForSmsDrip } from '@/lib/symphony/integration/sms-drip';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  if (!isAuthorizedCronRequest(request)) return unauthorized();
  const drips = await fetchDueSmsDrips();

  if (shouldUseSymphonyForSmsDrip()) {
    const results = await Promise.allSettled(drips.map(dispatchSmsDrip));
    const failed = results.filter((r) => r.status === 'rejected');
    for (const r of failed) console.error('[cron] SMS dispatch failed', r.reason);
    return Response.json({ mode: 'symphony', dispatched: results.length - failed.length, failed: failed.length }, { status: failed.length > 0 ? 500 : 200 });
  }

  // Legacy processing
  for (const drip of drips) {
    await processSmsDrip(drip);
  }
  return Response.json({ mode: 'legacy', processed: drips.length });
}
