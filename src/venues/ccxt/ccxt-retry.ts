/**
 * Waiting and retrying on the injected clock: exponential backoff within a
 * budget (attempts and elapsed clock time). Deterministic (no jitter), so a
 * test on a virtual clock sees exactly the delays it expects.
 */
import type { Clock } from '../../clock/clock.js';
import { classifyVenueError, type VenueErrorInfo } from './ccxt-errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up once this much clock time has passed since the first attempt. */
  readonly budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 4_000, budgetMs: 15_000 };

/** Delay before retry number `attempt` (1 = the first retry): base x 2^(attempt-1), capped. */
export const backoffDelay = (policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, attempt: number): number =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));

/** Resolves after `ms` on the clock; `signal` cuts the wait short (resolves early, never rejects). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = clock.setTimeout(done, Math.max(0, ms));
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      done();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** Secrets to redact from error messages. */
  readonly secrets?: readonly (string | undefined)[];
  /** Which failures to retry; default: rate limits and network errors. */
  readonly retryOn?: (info: VenueErrorInfo) => boolean;
  readonly onRetry?: (info: VenueErrorInfo, attempt: number, delayMs: number) => void;
  readonly signal?: AbortSignal;
}

export const retryableByDefault = (info: VenueErrorInfo): boolean => info.category === 'rate-limited' || info.category === 'network';

/**
 * Runs `op` until it succeeds or the budget is spent; throws the last error.
 * Only for idempotent operations (reads, cancels): order placement has its
 * own loop that checks for the order before sending it again.
 */
export async function withRetry<T>(op: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, policy } = options;
  const retryOn = options.retryOn ?? retryableByDefault;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const info = classifyVenueError(err, options.secrets);
      const delay = backoffDelay(policy, attempt);
      const outOfBudget = attempt >= policy.maxAttempts || clock.now() - started + delay > policy.budgetMs;
      if (!retryOn(info) || outOfBudget || options.signal?.aborted) throw err;
      options.onRetry?.(info, attempt, delay);
      await sleep(clock, delay, options.signal);
    }
  }
}
