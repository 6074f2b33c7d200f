// Migration example 2: one CampaignMessage per active campaign instead of processing inline.
import { isAuthorizedCronRequest, unauthorized } from '@/lib/cron-auth';
import { fetchActiveCampaigns, processCampaign } from '@/lib/legacy';
import { dispatchCampaignProcessing, shouldUseSymphonyForCampaigns } from '@/lib/symphony/integration/campaigns';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  if (!isAuthorizedCronRequest(request)) return unauthorized();
  const campaigns = await fetchActiveCampaigns();

  if (shouldUseSymphonyForCampaigns()) {
    // started together: the client coalesces them into a few DISPATCH frames
    const results = await Promise.allSettled(campaigns.map((c) => dispatchCampaignProcessing(c.id, c.user_id, { action: 'process' })));
    const failed = results.filter((r) => r.status === 'rejected');
    for (const r of failed) console.error('[cron] campaign dispatch failed', r.reason);
    // a failed dispatch is picked up again by the next tick (the campaign is still active)
    return Response.json({ mode: 'symphony', dispatched: results.length - failed.length, failed: failed.length }, { status: failed.length > 0 ? 500 : 200 });
  }

  // Legacy processing
  for (const campaign of campaigns) {
    await processCampaign(campaign);
  }
  return Response.json({ mode: 'legacy', processed: campaigns.length });
}
