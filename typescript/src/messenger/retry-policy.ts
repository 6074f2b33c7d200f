// The seeds' retry configuration (maxRetries, delay, multiplier, maxDelay) and the delay it gives
// each retry. Under the broker transport the broker applies its own [retry] policy (same formula,
// docs/protocol.md §5.8); this one is what SyncTransport applies in process.
import { ConfigError } from '../errors.js';
import type { Env } from '../config.js';

export interface RetryConfig {
  /** Retries after the first attempt; the failure of attempt maxRetries + 1 is final. */
  maxRetries: number;
  /** ms before the first retry. */
  delay: number;
  multiplier: number;
  /** Cap, ms. */
  maxDelay: number;
}

/** The broker's defaults (docs/operations.md, [retry.default]). */
export const DEFAULT_RETRY: RetryConfig = { maxRetries: 3, delay: 1000, multiplier: 2, maxDelay: 30_000 };

export class RetryPolicy {
  readonly config: RetryConfig;

  constructor(config: Partial<RetryConfig> = {}, base: RetryConfig = DEFAULT_RETRY, setting = 'retry') {
    this.config = checkRetry({ ...base, ...definedOnly(config) }, setting);
  }

  /** Whether a retryable failure of `attempt` (1-based) is retried. */
  retries(attempt: number): boolean {
    return attempt <= this.config.maxRetries;
  }

  /** ms before retry n, where n is the attempt that failed: min(delay × multiplier^(n−1), maxDelay). */
  delayFor(attempt: number): number {
    const { delay, multiplier, maxDelay } = this.config;
    return Math.min(delay * multiplier ** Math.max(0, attempt - 1), maxDelay);
  }
}

/** SYMPHONY_RETRY_MAX_RETRIES, _DELAY, _MULTIPLIER, _MAX_DELAY that are set (the seeds' names). */
export function retryFromEnv(env: Env): Partial<RetryConfig> {
  const out: Partial<RetryConfig> = {};
  const read = (name: string, key: keyof RetryConfig, integer: boolean): void => {
    const text = env[name];
    if (text === undefined || text === '') return;
    const n = integer ? (/^[0-9]{1,10}$/.test(text) ? Number(text) : NaN) : /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) throw new ConfigError(name, `expected a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${JSON.stringify(text)}`);
    out[key] = n;
  };
  read('SYMPHONY_RETRY_MAX_RETRIES', 'maxRetries', true);
  read('SYMPHONY_RETRY_DELAY', 'delay', true);
  read('SYMPHONY_RETRY_MULTIPLIER', 'multiplier', false);
  read('SYMPHONY_RETRY_MAX_DELAY', 'maxDelay', true);
  return out;
}

function checkRetry(c: RetryConfig, setting: string): RetryConfig {
  const bad = (key: string, why: string, v: unknown): never => {
    throw new ConfigError(`${setting}.${key}`, `${why}, got ${String(v)}`);
  };
  if (!Number.isInteger(c.maxRetries) || c.maxRetries < 0 || c.maxRetries > 1000) bad('maxRetries', 'expected an integer from 0 to 1000', c.maxRetries);
  if (!Number.isFinite(c.delay) || c.delay < 0) bad('delay', 'expected a non-negative number of ms', c.delay);
  if (!Number.isFinite(c.multiplier) || c.multiplier < 1) bad('multiplier', 'expected a number >= 1', c.multiplier);
  if (!Number.isFinite(c.maxDelay) || c.maxDelay < 0) bad('maxDelay', 'expected a non-negative number of ms', c.maxDelay);
  return { ...c };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
