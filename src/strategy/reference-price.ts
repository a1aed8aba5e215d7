import { requirePositive, StrategyInputError } from './strategy-error.js';

/**
 * Mid of the touch, the reference price of a quote decision. Signal maths,
 * so float64; order prices are re-derived as decimals when snapped.
 *
 * A crossed book (bid > ask) means the feed is broken and is rejected. A
 * locked book (bid == ask) still has a well-defined mid and is accepted.
 */
export function midPrice(bestBid: number, bestAsk: number): number {
  requirePositive('bestBid', bestBid);
  requirePositive('bestAsk', bestAsk);
  if (bestBid > bestAsk) {
    throw new StrategyInputError(`crossed book: best bid ${bestBid} > best ask ${bestAsk}`, { bestBid, bestAsk });
  }
  // Halving each side first cannot overflow, and is exact for normal floats.
  return bestBid / 2 + bestAsk / 2;
}
