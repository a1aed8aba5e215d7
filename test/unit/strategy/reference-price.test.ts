import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { midPrice } from '../../../src/strategy/reference-price.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';

describe('midPrice', () => {
  it('is the average of the touch', () => {
    expect(midPrice(100, 102)).toBe(101);
    expect(midPrice(61837.63, 61837.64)).toBeCloseTo(61837.635, 8);
  });

  it('accepts a locked book (bid == ask): its mid is that price', () => {
    expect(midPrice(100, 100)).toBe(100);
  });

  it.each([
    ['crossed', 101, 100],
    ['zero bid', 0, 100],
    ['negative ask', 100, -1],
    ['NaN', Number.NaN, 100],
    ['infinite ask', 100, Number.POSITIVE_INFINITY],
  ])('rejects a %s book with StrategyInputError', (_name, bid, ask) => {
    expect(() => midPrice(bid, ask)).toThrow(StrategyInputError);
  });

  it('names the crossed prices in the error', () => {
    expect(() => midPrice(101, 100)).toThrow(/crossed book: best bid 101 > best ask 100/);
  });

  it('lies within the touch for any valid book', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-8, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), (bid, width) => {
        const ask = bid + width;
        const mid = midPrice(bid, ask);
        expect(mid).toBeGreaterThanOrEqual(bid);
        expect(mid).toBeLessThanOrEqual(ask);
      }),
    );
  });
});
