// The migration guide's feature flags: isEnabled('EMAIL_QUEUE') reads SYMPHONY_EMAIL_QUEUE_ENABLED,
// and is false whenever SYMPHONY_ENABLED is not true, so SYMPHONY_ENABLED=false rolls every
// feature back to its legacy path at once (the guide's rollback plan). Unset means false.
// Values: true/false/1/0 (any case), parsed as resolveConnectionConfig() parses SYMPHONY_ENABLED
// (config.ts parseBoolean); anything else is a ConfigError naming the variable, so a typo is
// found instead of silently disabling a feature.
import { parseBoolean, type Env } from '../config.js';
import { ConfigError } from '../errors.js';

export class FeatureFlags {
  constructor(private readonly env: Env = process.env) {}

  /** SYMPHONY_ENABLED. */
  get symphonyEnabled(): boolean {
    return readFlag(this.env, 'SYMPHONY_ENABLED');
  }

  /** `feature`: 'EMAIL_QUEUE', 'CAMPAIGN_PROCESSING', 'SMS_DRIP' (or emailQueue, email-queue). */
  isEnabled(feature: string): boolean {
    const name = flagVariable(feature);
    // both are read, so a bad value in either is reported even while the other is off
    const master = this.symphonyEnabled;
    return readFlag(this.env, name) && master;
  }
}

/** The variable of a feature: 'emailQueue' -> SYMPHONY_EMAIL_QUEUE_ENABLED. */
export function flagVariable(feature: string): string {
  const words = feature
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  if (words === '') throw new ConfigError('feature', `not a feature name: ${JSON.stringify(feature)}`);
  return `SYMPHONY_${words.replace(/^SYMPHONY_/, '').replace(/_ENABLED$/, '')}_ENABLED`;
}

/** isEnabled() on process.env, read at each call (a flag can change without a restart). */
export function isEnabled(feature: string, env: Env = process.env): boolean {
  return new FeatureFlags(env).isEnabled(feature);
}

export function isSymphonyEnabled(env: Env = process.env): boolean {
  return new FeatureFlags(env).symphonyEnabled;
}

function readFlag(env: Env, name: string): boolean {
  return parseBoolean(name, env[name]) ?? false;
}
