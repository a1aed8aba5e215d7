import type { Observable } from 'rxjs';
import type { Side } from '../core/types.js';
import type { BookEvent, FeedProblemEvent, FeedRecoveredEvent, TradeEvent } from '../market-data/market-event.js';

/** Instrument rules. Decimal strings so tick maths stays exact. */
export interface MarketSpec {
  readonly venue: string;
  /** Venue symbol, e.g. `BTCUSDT`. */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minNotional: string;
  /** Fractions, e.g. "0.0001" = 1 bp. Negative is a rebate. */
  readonly makerFee: string;
  readonly takerFee: string;
}

export interface OrderRequest {
  /** Deterministic, derived from the pair stream and revision, so retries never duplicate. */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: string;
  readonly amount: string;
  /** Maker-only: the venue rejects the order if it would take liquidity. */
  readonly postOnly: boolean;
  readonly reduceOnly: boolean;
}

/**
 * Why a venue refused a request, as a small stable set (the strings are stored
 * in events and logs, so never rename one), and what the engine must do.
 */
export type VenueErrorCategory =
  /** Refused before anything was sent (off the tick/lot grid, below min notional, unknown symbol, no market data). */
  | 'validation'
  /** Not enough balance: size down or pause. */
  | 'insufficient-funds'
  /** A post-only order would have taken liquidity. */
  | 'post-only-would-cross'
  /** The venue refused the order as given (price/size filters, market closed, bad parameters). */
  | 'invalid-order'
  /** The venue does not know the order (cancel of a filled/cancelled/never-created order). */
  | 'unknown-order'
  /** The client order id was already used. */
  | 'duplicate-order'
  /** Rate limit or DDoS protection: throttle and retry within a budget. */
  | 'rate-limited'
  /** Connection failure, timeout, exchange unavailable or in maintenance: pause, and cancel on reconnect. */
  | 'network'
  /** Bad or missing credentials, permissions, suspended account: halt. */
  | 'auth'
  /** The venue does not offer the operation. */
  | 'not-supported'
  /** Any other error reported by the venue. */
  | 'exchange-error'
  /** A bug or an unexpected reply on our side of the boundary. */
  | 'internal';

export type VenueErrorAction = 'reject' | 'reduce-size-or-pause' | 'backoff' | 'pause-and-cancel-on-reconnect' | 'halt';

/** Every category, for validation and exhaustive tests. */
export const VENUE_ERROR_CATEGORIES = [
  'validation',
  'insufficient-funds',
  'post-only-would-cross',
  'invalid-order',
  'unknown-order',
  'duplicate-order',
  'rate-limited',
  'network',
  'auth',
  'not-supported',
  'exchange-error',
  'internal',
] as const satisfies readonly VenueErrorCategory[];

export const VENUE_ERROR_ACTIONS = ['reject', 'reduce-size-or-pause', 'backoff', 'pause-and-cancel-on-reconnect', 'halt'] as const satisfies readonly VenueErrorAction[];

// Fails to compile if a category or action is added to the type but not to the list.
type Missing<T, L extends readonly unknown[]> = Exclude<T, L[number]>;
const exhaustive: [Missing<VenueErrorCategory, typeof VENUE_ERROR_CATEGORIES>, Missing<VenueErrorAction, typeof VENUE_ERROR_ACTIONS>] extends [never, never] ? true : never = true;
void exhaustive;

export type OrderResult =
  | { readonly clientOrderId: string; readonly status: 'accepted'; readonly venueOrderId: string; readonly ts: number }
  | {
      readonly clientOrderId: string;
      readonly status: 'rejected';
      readonly reason: string;
      readonly category: VenueErrorCategory;
      readonly action: VenueErrorAction;
      readonly ts: number;
    };

export type CancelResult =
  | { readonly clientOrderId: string; readonly status: 'cancelled'; readonly remaining: string; readonly ts: number }
  | { readonly clientOrderId: string; readonly status: 'unknown-order'; readonly reason: string; readonly ts: number }
  /**
   * The venue could not confirm the cancel (a network failure, a rate limit
   * that outlasted the retries): the order may still be live. The caller sends
   * it again; `category`/`action` say what else to do (e.g. pause on network).
   */
  | {
      readonly clientOrderId: string;
      readonly status: 'failed';
      readonly reason: string;
      readonly category: VenueErrorCategory;
      readonly action: VenueErrorAction;
      readonly ts: number;
    };

export interface OpenOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: string;
  readonly amount: string;
  readonly filled: string;
  readonly ts: number;
}

export interface Fill {
  readonly venue: string;
  readonly symbol: string;
  /** Venue trade id: the idempotency key of a fill. */
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly side: Side;
  readonly price: string;
  readonly amount: string;
  /** Positive is paid, negative is a rebate. */
  readonly fee: string;
  readonly feeCurrency: string;
  readonly liquidity: 'maker' | 'taker';
  /** Amount still open on the order after this fill. */
  readonly remaining: string;
  readonly ts: number;
}

export interface Balance {
  readonly free: string;
  readonly used: string;
  readonly total: string;
}

export type BookFeedEvent = BookEvent | FeedProblemEvent | FeedRecoveredEvent;

/**
 * The one port every venue implements: the simulated venue for paper trading
 * and backtests, and the ccxt adapter for real exchanges.
 */
export interface Venue {
  readonly id: string;
  markets(): Promise<readonly MarketSpec[]>;
  watchBook(symbol: string): Observable<BookFeedEvent>;
  watchTrades(symbol: string): Observable<TradeEvent>;
  watchFills(symbol: string): Observable<Fill>;
  placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]>;
  cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]>;
  cancelAll(symbol: string): Promise<readonly CancelResult[]>;
  fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]>;
  fetchBalances(): Promise<Readonly<Record<string, Balance>>>;
  /** Ends the venue's feeds and background work (websockets, timers); its streams complete. Called once, on stop, after every pair has stopped. */
  close(): void | Promise<void>;
  /**
   * Our fills on `symbol` executed at or after `since` (epoch ms), oldest
   * first: restart recovery appends the ones the log lacks. Optional: a venue
   * without it cannot recover fills missed while the process was down.
   */
  fetchMyTrades?(symbol: string, since?: number): Promise<readonly Fill[]>;
}
