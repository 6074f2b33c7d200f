// The migration guide's feature flags. Read at every call, so a flag flip in the deployment's
// environment takes effect without a code change.
//   SYMPHONY_ENABLED=false            kill switch: every job back to its legacy path (rollback plan)
//   SYMPHONY_<FEATURE>_ENABLED=true   one job on Symphony (phase 3: one feature at a time)
//   SYMPHONY_ENABLED=true             every job whose own flag is unset (phase 4)
export type FeatureFlag = 'SYMPHONY_EMAIL_QUEUE_ENABLED' | 'SYMPHONY_CAMPAIGN_PROCESSING_ENABLED' | 'SYMPHONY_SMS_DRIP_ENABLED';

type Env = Readonly<Record<string, string | undefined>>;

function parseFlag(name: string, env: Env): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  // a typo must not move a job: off (legacy), and say so
  console.warn(`[symphony] ${name}=${JSON.stringify(env[name])} is not true/false/1/0: treated as false`);
  return false;
}

export function isSymphonyEnabledFor(flag: FeatureFlag, env: Env = process.env): boolean {
  const master = parseFlag('SYMPHONY_ENABLED', env);
  if (master === false) return false;
  return parseFlag(flag, env) ?? master ?? false;
}
