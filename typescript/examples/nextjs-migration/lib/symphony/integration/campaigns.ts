// Migration example 2: the campaign cron job dispatches one CampaignMessage per active campaign.
import type { CampaignMessagePayload } from '../messages';
import { isSymphonyEnabledFor } from '../feature-flags';
import { dispatchCampaignMessage, type DispatchResult } from '../utils';

export function shouldUseSymphonyForCampaigns(): boolean {
  return isSymphonyEnabledFor('CAMPAIGN_PROCESSING');
}

export function dispatchCampaignProcessing(
  campaignId: string,
  userId: string,
  options: Pick<CampaignMessagePayload, 'action' | 'recipientId' | 'stepId'>,
): Promise<DispatchResult> {
  return dispatchCampaignMessage({ campaignId, userId, ...options });
}
