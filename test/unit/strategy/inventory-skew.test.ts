import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { decideQuotes } from '../../../src/strategy/decide-quotes.js';
import { type InventoryParams, priceSkewBps, sizeSkewFactors } from '../../../src/strategy/inventory-skew.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { arbPosition, inputs, market, params } from './fixtures.js';

const INV: InventoryParams = { maxPosition: '0.05', hardLimit: '0.08', priceSkewBps: 3, maxPriceSkewBps: 6, sizeSkew: 1 };

describe('priceSkewBps', () => {
  it('is a plain 0 at flat inventory', () => {
    expect(Object.is(priceSkewBps('0', INV), 0)).toBe(true);
    expect(Object.is(priceSkewBps('-0', INV), 0)).toBe(true);
  });

  it('is negative when long and positive when short, linear in position / maxPosition', () => {
    expect(priceSkewBps('0.05', INV)).toBe(-3); // full priceSkewBps at maxPosition
    expect(priceSkewBps('0.025', INV)).toBe(-1.5); // half way
    expect(priceSkewBps('-0.05', INV)).toBe(3);
    expect(priceSkewBps('-0.06', INV)).toBe(3.6); // 1.2 x 3, not yet at the cap
  });

  it('is capped at +-maxPriceSkewBps', () => {
    expect(priceSkewBps('0.1', INV)).toBe(-6); // 2 x maxPosition reaches the cap of 6
    expect(priceSkewBps('5', INV)).toBe(-6);
    expect(priceSkewBps('-5', INV)).toBe(6);
  });

  it('is non-increasing in position, antisymmetric and within the cap', () => {
    fc.assert(
      fc.property(arbPosition(0.5), arbPosition(0.5), (a, b) => {
        const [lo, hi] = D(a).lte(b) ? [a, b] : [b, a];
        expect(priceSkewBps(hi, INV)).toBeLessThanOrEqual(priceSkewBps(lo, INV));
        expect(Math.abs(priceSkewBps(a, INV))).toBeLessThanOrEqual(INV.maxPriceSkewBps);
        expect(priceSkewBps(D(a).neg().toFixed(), INV)).toBe(-priceSkewBps(a, INV) + 0);
      }),
    );
  });

  it('rejects a malformed position', () => {
    expect(() => priceSkewBps('abc', INV)).toThrow(StrategyInputError);
    expect(() => priceSkewBps('NaN', INV)).toThrow(StrategyInputError);
  });
});

describe('sizeSkewFactors', () => {
  it('is 1/1 when flat', () => {
    expect(sizeSkewFactors('0', INV)).toEqual({ bid: 1, ask: 1 });
  });

  it('long shrinks the bid (adding side) and grows the ask; short the reverse', () => {
    const long = sizeSkewFactors('0.025', INV);
    expect(long.bid).toBeLessThan(1);
    expect(long.ask).toBeGreaterThan(1);
    expect(long).toEqual({ bid: 0.5, ask: 1.5 });
    const short = sizeSkewFactors('-0.025', INV);
    expect(short).toEqual({ bid: 1.5, ask: 0.5 });
  });

  it('reaches 0x / 2x at maxPosition with sizeSkew 1 and stays there beyond', () => {
    expect(sizeSkewFactors('0.05', INV)).toEqual({ bid: 0, ask: 2 });
    expect(sizeSkewFactors('0.5', INV)).toEqual({ bid: 0, ask: 2 });
    expect(sizeSkewFactors('0.05', { ...INV, sizeSkew: 0.5 })).toEqual({ bid: 0.5, ask: 1.5 });
    expect(sizeSkewFactors('0.05', { ...INV, sizeSkew: 0 })).toEqual({ bid: 1, ask: 1 });
  });

  it('stays within [0, 2], sums to 2, and the bid factor falls as the position grows', () => {
    fc.assert(
      fc.property(arbPosition(0.5), arbPosition(0.5), fc.double({ min: 0, max: 1, noNaN: true }), (a, b, sizeSkew) => {
        const inv = { ...INV, sizeSkew };
        const fa = sizeSkewFactors(a, inv);
        for (const f of [fa.bid, fa.ask]) {
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThanOrEqual(2);
        }
        expect(fa.bid + fa.ask).toBeCloseTo(2, 12);
        const [lo, hi] = D(a).lte(b) ? [a, b] : [b, a];
        expect(sizeSkewFactors(hi, inv).bid).toBeLessThanOrEqual(sizeSkewFactors(lo, inv).bid);
        expect(sizeSkewFactors(hi, inv).ask).toBeGreaterThanOrEqual(sizeSkewFactors(lo, inv).ask);
      }),
    );
  });
});

describe('skew applied to the quotes', () => {
  // A wide book (10 USDT) so the quotes rest inside it and the no-cross clamp stays out of the way.
  const book = { mid: 61_840, bestBid: 61_835, bestAsk: 61_845 };
  const p = params();
  const top = (position: string) => {
    const d = decideQuotes(inputs({ ...book, position }), p, market());
    return { bid: Number(d.bids[0]?.price), ask: Number(d.asks[0]?.price), d };
  };

  it('long: both bid and ask are lower than at flat inventory; short: both higher', () => {
    const flat = top('0');
    const long = top('0.025');
    const short = top('-0.025');
    expect(long.bid).toBeLessThan(flat.bid);
    expect(long.ask).toBeLessThan(flat.ask);
    expect(short.bid).toBeGreaterThan(flat.bid);
    expect(short.ask).toBeGreaterThan(flat.ask);
  });

  it('shifts by the skew in bps of the mid (to within one tick of rounding)', () => {
    const flat = top('0');
    const long = top('0.025');
    const shift = book.mid * (priceSkewBps('0.025', INV) / 1e4); // -1.5 bps of 61840 = -9.276
    expect(Math.abs(long.bid - flat.bid - shift)).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(Math.abs(long.ask - flat.ask - shift)).toBeLessThanOrEqual(0.01 + 1e-9);
  });

  it('long shrinks the bid size and grows the ask size', () => {
    const flat = top('0').d;
    const long = top('0.025').d;
    expect(D(long.bids[0]?.amount ?? 'NaN').lt(flat.bids[0]?.amount ?? 'NaN')).toBe(true);
    expect(D(long.asks[0]?.amount ?? 'NaN').gt(flat.asks[0]?.amount ?? 'NaN')).toBe(true);
  });

  it('both quotes are monotone non-increasing in position, capped, and never cross the book', () => {
    const noSizeSkew = params({ inventory: { sizeSkew: 0 } });
    const quote = (position: string) => decideQuotes(inputs({ ...book, position }), noSizeSkew, market());
    const capped = quote('10');
    fc.assert(
      fc.property(arbPosition(0.3), arbPosition(0.3), (a, b) => {
        const [lo, hi] = D(a).lte(b) ? [a, b] : [b, a];
        const qLo = quote(lo);
        const qHi = quote(hi);
        expect(Number(qHi.bids[0]?.price)).toBeLessThanOrEqual(Number(qLo.bids[0]?.price));
        expect(Number(qHi.asks[0]?.price)).toBeLessThanOrEqual(Number(qLo.asks[0]?.price));
        // Never below the capped quote: beyond the cap, more inventory moves nothing.
        expect(Number(qHi.bids[0]?.price)).toBeGreaterThanOrEqual(Number(capped.bids[0]?.price));
        expect(Number(qHi.asks[0]?.price)).toBeGreaterThan(book.bestBid);
      }),
    );
    // The 6 bps cap is reached at 2 x maxPosition (0.1): beyond it the ladders are identical.
    const at = quote('0.2');
    expect({ bids: at.bids, asks: at.asks }).toEqual({ bids: capped.bids, asks: capped.asks });
  });
});
