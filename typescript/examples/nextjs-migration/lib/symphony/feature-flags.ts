// The migration guide's feature flags, read at every call (a flag flip in the deployment's
// environment takes effect without a code change) by the package's isEnabled():
//   SYMPHONY_<FEATURE>_ENABLED=true  one job on Symphony (phase 3: one feature at a time), while
//   SYMPHONY_ENABLED=true            the master switch; false (or unset) is the kill switch: every
//                                    job back to its legacy path (rollback plan)
import { ConfigError, isEnabled } from 'symphony-messenger';

export type Feature = 'EMAIL_QUEUE' | 'CAMPAIGN_PROCESSING' | 'SMS_DRIP';

export function isSymphonyEnabledFor(feature: Feature): boolean {
  try {
    return isEnabled(feature);
  } catch (err) {
    // a value other than true/false/1/0: a typo must not move a job, nor stop it. Legacy, and say so
    if (!(err instanceof ConfigError)) throw err;
    console.warn(`[symphony] ${err.message}: ${feature} stays on its legacy path`);
    return false;
  }
}
