import type { BookLevel } from '../../market-data/market-event.js';

/** The slice of the book the quoting rules read; cheap to build and to carry in a machine event. */
export interface BookDepth {
  /** Sizes of the top levels, best first (at most BOOK_DEPTH_LEVELS). */
  readonly bidSizes: readonly number[];
  readonly askSizes: readonly number[];
  /** Total size and number of levels within BAND_PCT of the mid, per side. */
  readonly bandBidSize: number;
  readonly bandBidLevels: number;
  readonly bandAskSize: number;
  readonly bandAskLevels: number;
}

export const BOOK_DEPTH_LEVELS = 10;
export const BAND_PCT = 1;

/**
 * Top levels and the 1 % band of a book (best level first on each side).
 * Stops at the band edge, so a deep book costs no more than its near levels.
 */
export function summarizeBook(bids: readonly BookLevel[], asks: readonly BookLevel[]): BookDepth | null {
  const bid = bids[0];
  const ask = asks[0];
  if (!bid || !ask) return null;
  const mid = bid.price / 2 + ask.price / 2;
  const lo = mid * (1 - BAND_PCT / 100);
  const hi = mid * (1 + BAND_PCT / 100);
  const band = (levels: readonly BookLevel[], inside: (p: number) => boolean): { size: number; count: number } => {
    let size = 0;
    let count = 0;
    for (const l of levels) {
      if (!inside(l.price)) break;
      size += l.size;
      count++;
    }
    return { size, count };
  };
  const b = band(bids, (p) => p >= lo);
  const a = band(asks, (p) => p <= hi);
  return {
    bidSizes: bids.slice(0, BOOK_DEPTH_LEVELS).map((l) => l.size),
    askSizes: asks.slice(0, BOOK_DEPTH_LEVELS).map((l) => l.size),
    bandBidSize: b.size,
    bandBidLevels: b.count,
    bandAskSize: a.size,
    bandAskLevels: a.count,
  };
}

/** (bid volume - ask volume) / total over the top n levels; 0 for an empty book. */
export function bookImbalance(d: BookDepth, n: number): number {
  const sum = (xs: readonly number[]) => xs.slice(0, n).reduce((s, x) => s + x, 0);
  const b = sum(d.bidSizes);
  const a = sum(d.askSizes);
  return b + a > 0 ? (b - a) / (b + a) + 0 : 0;
}
