/**
 * What the order manager does about a venue's refusal, by the `action` the
 * venue port attaches to it (src/venues/venue.ts). One table, so the policy
 * is read in one place:
 *
 * | action                          | categories (typical)                          | the manager                                                                 |
 * | ------------------------------- | --------------------------------------------- | --------------------------------------------------------------------------- |
 * | `reject`                        | validation, post-only-would-cross, invalid-order, unknown-order, duplicate-order, exchange-error | records OrderRejected; the level waits for the next decision (duplicate-order: the venue holds an order with that id, so it is also cancelled by id) |
 * | `backoff`                       | rate-limited (and transient exchange errors)  | retries the SAME client order id after retryBackoffMs x 2^(attempt-1), within maxPlaceAttempts; then OrderRejected |
 * | `reduce-size-or-pause`          | insufficient-funds                            | records OrderRejected and caps that side's order size at half the refused amount (lot-snapped); the level is placed again at the cap (OrderPlaced with `rule`); when half would fall under the lot or the minimum notional, pauses the pair (`insufficient-funds`) |
 * | `pause-and-cancel-on-reconnect` | network                                       | records OrderRejected, pauses the pair (`venue-unavailable`), probes the venue and cancels everything (this order's id included) once it answers |
 * | `halt`                          | auth, not-supported, internal                 | records OrderRejected and pauses the pair (`venue-error`) until an operator resumes it |
 *
 * A call that throws instead of answering is read the same way when the error
 * carries `category` and `action` (the ccxt adapter's CcxtVenueError does);
 * any other throw is treated as `network`: the outcome is unknown.
 */
import { VENUE_ERROR_ACTIONS, VENUE_ERROR_CATEGORIES, type VenueErrorAction, type VenueErrorCategory } from '../venues/venue.js';

export type Reaction =
  | { readonly kind: 'reject' }
  | { readonly kind: 'retry' }
  | { readonly kind: 'pause'; readonly reason: 'insufficient-funds' | 'venue-error' }
  /** Insufficient funds: place smaller, then pause if even the smallest order is refused. */
  | { readonly kind: 'reduce-size' }
  | { readonly kind: 'venue-down' };

export function reactionTo(action: VenueErrorAction): Reaction {
  switch (action) {
    case 'reject':
      return { kind: 'reject' };
    case 'backoff':
      return { kind: 'retry' };
    case 'reduce-size-or-pause':
      return { kind: 'reduce-size' };
    case 'pause-and-cancel-on-reconnect':
      return { kind: 'venue-down' };
    case 'halt':
      return { kind: 'pause', reason: 'venue-error' };
  }
}

const CATEGORIES = new Set<VenueErrorCategory>(VENUE_ERROR_CATEGORIES);
const ACTIONS = new Set<VenueErrorAction>(VENUE_ERROR_ACTIONS);

/** A thrown error as a refusal: its own category and action when it carries them, else an unknown outcome (network). */
export function refusalOf(err: unknown): { readonly category: VenueErrorCategory; readonly action: VenueErrorAction; readonly reason: string } {
  const e = err as { category?: unknown; action?: unknown; message?: unknown } | null;
  const reason = e && typeof e.message === 'string' ? e.message : String(err);
  if (e && CATEGORIES.has(e.category as VenueErrorCategory) && ACTIONS.has(e.action as VenueErrorAction)) {
    return { category: e.category as VenueErrorCategory, action: e.action as VenueErrorAction, reason };
  }
  return { category: 'network', action: 'pause-and-cancel-on-reconnect', reason };
}

/** Backoff before attempt n + 1 after n attempts: base x 2^(n-1), at most 64 x base. */
export const backoffMs = (baseMs: number, attempts: number): number => baseMs * 2 ** Math.min(6, Math.max(0, attempts - 1));
