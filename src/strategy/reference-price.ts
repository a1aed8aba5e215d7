import type { StrategyParams } from '../config/strategy-params.js';
import type { QuoteInputs, RuleFiring } from './quote-types.js';
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

/**
 * The reference price of a decision by the configured source. A source
 * without fresh data falls back to the touch mid, and the fallback is
 * recorded: a rule never changes the quotes silently.
 */
export function selectReference(
  inputs: Pick<QuoteInputs, 'mid' | 'bestBid' | 'bestAsk' | 'signals'>,
  p: StrategyParams['reference'],
): { price: number; firing: RuleFiring | null } {
  const s = inputs.signals ?? {};
  const fallback = (why: string) => ({ price: inputs.mid, firing: { rule: 'reference-price', detail: { source: p.source, price: inputs.mid, fallback: 'mid', why } } });
  switch (p.source) {
    case 'mid':
      return { price: inputs.mid, firing: null };
    case 'microprice': {
      const bs = s.bestBidSize;
      const as = s.bestAskSize;
      if (bs === undefined || as === undefined || !(bs + as > 0)) return fallback('no sizes at the touch');
      // Weighted by the opposite side's size: a heavy bid pushes the fair price towards the ask.
      const price = (inputs.bestBid * as + inputs.bestAsk * bs) / (bs + as);
      return { price, firing: { rule: 'reference-price', detail: { source: p.source, price, mid: inputs.mid, bestBidSize: bs, bestAskSize: as } } };
    }
    case 'last-trade': {
      if (s.lastTradePrice === undefined || s.lastTradeAgeMs === undefined) return fallback('no trade yet');
      if (s.lastTradeAgeMs > p.maxAgeMs) return fallback(`last trade ${s.lastTradeAgeMs} ms old > maxAgeMs ${p.maxAgeMs}`);
      return { price: s.lastTradePrice, firing: { rule: 'reference-price', detail: { source: p.source, price: s.lastTradePrice, mid: inputs.mid, ageMs: s.lastTradeAgeMs } } };
    }
    case 'external-mid': {
      if (s.externalMid === undefined || s.externalMidAgeMs === undefined) return fallback('no external mid yet');
      if (s.externalMidAgeMs > p.maxAgeMs) return fallback(`external mid ${s.externalMidAgeMs} ms old > maxAgeMs ${p.maxAgeMs}`);
      return {
        price: s.externalMid,
        firing: { rule: 'reference-price', detail: { source: p.source, price: s.externalMid, venue: s.externalVenue ?? '?', mid: inputs.mid, ageMs: s.externalMidAgeMs } },
      };
    }
  }
}
