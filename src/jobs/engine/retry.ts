/**
 * Retries of transient task failures: exponential backoff with full jitter (AWS's recommended
 * "full jitter": sleep a random time in [0, min(cap, base · 2^attempt)]), for throttling, 5xx
 * and network errors only — never for other 4xx — and for Lambda TemporaryFailure redrives.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (AWS SDKs: 3; batch tasks here: 5). */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
