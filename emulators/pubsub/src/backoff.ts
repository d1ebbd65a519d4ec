/** How long to wait before redelivering a message that failed, in milliseconds. */
export interface RetryPolicy {
  minimumBackoffMs: number;
  maximumBackoffMs: number;
}

/** Google's push backoff for push subscriptions without a retry policy: 100 ms growing to 60 s. */
export const PUSH_BACKOFF: RetryPolicy = { minimumBackoffMs: 100, maximumBackoffMs: 60_000 };

/** The delay before the next delivery after `failures` consecutive failures (1 = the first): exponential, clamped. */
export function backoffMs(policy: RetryPolicy | undefined, failures: number): number {
  if (!policy) return 0; // a pull subscription without a retry policy redelivers at once
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const delay = policy.minimumBackoffMs * 2 ** exponent;
  return Math.min(Math.max(delay, policy.minimumBackoffMs), policy.maximumBackoffMs);
}
