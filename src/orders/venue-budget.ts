/**
 * The per-account order budget: one token bucket per venue instance, shared
 * by every pair that trades on it, set below the exchange's own limit.
 *
 * - A ccxt venue exposes `rateLimitMs` (ms per request-cost unit its throttler
 *   allows itself, already under the exchange's limit). That budget also pays
 *   for cancels, fetches and feeds, so placements get
 *   `exchangeBudgetFraction` x 1000 / rateLimitMs per second, with one
 *   second's worth as the burst.
 * - A paper venue has no limit of its own: `accountOrdersPerSecond` and
 *   `accountOrderBurst` of the first pair started on it apply.
 *
 * Read by duck typing so this module needs nothing from the adapters.
 */
import type { Clock } from '../clock/clock.js';
import type { StrategyParams } from '../config/strategy-params.js';
import type { Venue } from '../venues/venue.js';
import { TokenBucket, type TokenBucketSettings } from './rate-limiter.js';

type OrderParams = StrategyParams['orders'];

/** The exchange's own request budget, when the venue states one. */
export function exchangeRateLimitMs(venue: Venue): number | null {
  const ms = (venue as { readonly rateLimitMs?: unknown }).rateLimitMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : null;
}

export function accountBudgetFor(venue: Venue, orders: OrderParams): TokenBucketSettings & { readonly source: 'exchange' | 'paper-default' } {
  const ms = exchangeRateLimitMs(venue);
  if (ms === null) return { ratePerSecond: orders.accountOrdersPerSecond, burst: orders.accountOrderBurst, source: 'paper-default' };
  const ratePerSecond = (orders.exchangeBudgetFraction * 1000) / ms;
  return { ratePerSecond, burst: Math.max(1, Math.floor(ratePerSecond)), source: 'exchange' };
}

export const pairBudgetFor = (orders: OrderParams): TokenBucketSettings => ({ ratePerSecond: orders.pairOrdersPerSecond, burst: orders.pairOrderBurst });

const accounts = new WeakMap<Venue, TokenBucket>();

/** The account bucket of this venue instance: created by the first pair that asks, shared afterwards. */
export function accountBucketFor(venue: Venue, clock: Clock, orders: OrderParams): TokenBucket {
  let bucket = accounts.get(venue);
  if (!bucket) {
    bucket = new TokenBucket(clock, accountBudgetFor(venue, orders));
    accounts.set(venue, bucket);
  }
  return bucket;
}
