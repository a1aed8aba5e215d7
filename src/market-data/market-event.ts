import type { Side } from '../core/types.js';

/**
 * Normalised market data, in data time. Prices and sizes are float64 parsed
 * from the venue's decimal strings: exact for the digits venues send, and fast
 * for signal maths. Order prices are re-derived as decimals when snapped.
 */
export interface BookLevel {
  readonly price: number;
  readonly size: number;
}

interface MarketEventBase {
  readonly venue: string;
  /** Venue symbol as recorded, e.g. `BTCUSDT`. */
  readonly symbol: string;
  /** Data time, epoch milliseconds (receive time for recordings). */
  readonly ts: number;
}

/** Top of the L2 book after a snapshot or diff was applied. Best level first. */
export interface BookEvent extends MarketEventBase {
  readonly kind: 'book';
  readonly sequence: number;
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
}

export interface TradeEvent extends MarketEventBase {
  readonly kind: 'trade';
  readonly tradeId: string;
  readonly price: number;
  readonly size: number;
  /** The side that took liquidity. */
  readonly aggressor: Side;
}

/** Best bid/offer ticker, when the feed has one separate from the depth book. */
export interface BboEvent extends MarketEventBase {
  readonly kind: 'bbo';
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
}

export type FeedProblemKind = 'gap' | 'crossed' | 'no-snapshot' | 'stale' | 'malformed';

/** The feed can no longer be trusted. Never papered over: downstream must pause. */
export interface FeedProblemEvent extends MarketEventBase {
  readonly kind: 'feed-problem';
  readonly problem: FeedProblemKind;
  readonly detail: string;
}

/** The book is consistent again (fresh snapshot after a gap, or uncrossed). */
export interface FeedRecoveredEvent extends MarketEventBase {
  readonly kind: 'feed-recovered';
  readonly detail: string;
}

export type MarketEvent = BookEvent | TradeEvent | BboEvent | FeedProblemEvent | FeedRecoveredEvent;
