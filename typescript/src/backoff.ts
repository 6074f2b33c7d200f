// Exponential backoff between reconnect attempts, as the C++ client does (doubling from a base).

export interface BackoffOptions {
  /** Connection attempts after the first one fails (0: no retry). */
  attempts: number;
  /** Wait before the first retry; doubled for each later one. */
  baseDelayMs: number;
  /** Longest single wait. */
  maxDelayMs: number;
}

/** The wait before retry `n` (1-based). */
export function backoffDelay(options: BackoffOptions, n: number): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, n - 1));
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
