/**
 * Order rate limits as token buckets on the injected clock. A bucket holds at
 * most `burst` tokens and refills at `ratePerSecond`; each placement takes one
 * token. Over any window of W ms a bucket therefore lets through at most
 * burst + ratePerSecond x W / 1000 placements, whatever the pattern of
 * requests. Nothing here reads the wall clock, so backtests stay deterministic.
 */
import type { Clock } from '../clock/clock.js';

export interface TokenBucketSettings {
  /** Refill rate, tokens per second (> 0). */
  readonly ratePerSecond: number;
  /** Capacity, whole tokens (>= 1). The bucket starts full. */
  readonly burst: number;
}

/** Slack for float refill arithmetic, far below one token. */
const EPS = 1e-9;

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    readonly settings: TokenBucketSettings,
  ) {
    if (!(settings.ratePerSecond > 0) || !Number.isFinite(settings.ratePerSecond)) throw new Error(`token bucket rate must be a positive number, got ${settings.ratePerSecond}`);
    if (!Number.isInteger(settings.burst) || settings.burst < 1) throw new Error(`token bucket burst must be a whole number >= 1, got ${settings.burst}`);
    this.tokens = settings.burst;
    this.updatedAt = clock.now();
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens + EPS);
  }

  /** Takes n tokens; throws if fewer are available (callers ask `available()` first). */
  take(n: number): void {
    if (n <= 0) return;
    const have = this.available();
    if (n > have) throw new Error(`token bucket: asked for ${n} tokens, ${have} available`);
    this.tokens = Math.max(0, this.tokens - n);
  }

  /** Milliseconds (rounded up) until n tokens are available; 0 if they are now. */
  msUntil(n = 1): number {
    this.refill();
    const missing = Math.min(n, this.settings.burst) - this.tokens;
    if (missing <= EPS) return 0;
    return Math.max(1, Math.ceil((missing * 1000) / this.settings.ratePerSecond));
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps back refills nothing until it passes the last refill again.
    if (now <= this.updatedAt) return;
    this.tokens = Math.min(this.settings.burst, this.tokens + ((now - this.updatedAt) * this.settings.ratePerSecond) / 1000);
    this.updatedAt = now;
  }
}

/** Several buckets that must all allow a placement (e.g. the pair's and the account's). */
export class RateLimits {
  constructor(private readonly buckets: readonly TokenBucket[]) {}

  available(): number {
    return this.buckets.reduce((min, b) => Math.min(min, b.available()), Number.POSITIVE_INFINITY);
  }

  take(n: number): void {
    if (n > this.available()) throw new Error(`rate limits: asked for ${n} tokens, ${this.available()} available`);
    for (const b of this.buckets) b.take(n);
  }

  /** Until every bucket holds n tokens (another pair may take the shared ones first: callers check again then). */
  msUntil(n = 1): number {
    return this.buckets.reduce((max, b) => Math.max(max, b.msUntil(n)), 0);
  }
}
