// Phase 4 of the architecture: SMS drip processing dispatches one SMSMessage per due drip step.
import type { DueSmsDrip } from '@/lib/legacy';
import { isSymphonyEnabledFor } from '../feature-flags';
import { dispatchSMSMessage, type DispatchResult } from '../utils';

export function shouldUseSymphonyForSmsDrip(): boolean {
  return isSymphonyEnabledFor('SMS_DRIP');
}

export function dispatchSmsDrip(drip: DueSmsDrip): Promise<DispatchResult> {
  return dispatchSMSMessage({ to: drip.to, message: drip.message, userId: drip.user_id, dripId: drip.id });
}
