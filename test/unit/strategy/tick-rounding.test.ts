import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { isOnGrid, roundAskToTick, roundBidToTick, roundDownToLot } from '../../../src/strategy/tick-rounding.js';
import { LOTS, TICKS } from './fixtures.js';

/** Prices as decimal strings: up to 7 integer digits and 8 fractional digits. */
const arbPriceString = fc
  .record({ int: fc.integer({ min: 0, max: 9_999_999 }), frac: fc.integer({ min: 0, max: 99_999_999 }) })
  .map(({ int, frac }) => D(int).plus(D(frac).div(1e8)).toFixed());

describe('tick rounding', () => {
  it('keeps on-grid prices exact where float maths does not', () => {
    // Float floor/ceil gets these wrong: 1.15 / 0.05 = 22.999999999999996 and 61837.63 / 0.01 * 0.01 != 61837.63.
    expect(Math.floor(1.15 / 0.05) * 0.05).not.toBe(1.15);
    expect(Math.ceil(0.3 / 0.1) * 0.1).not.toBe(0.3);
    expect((61837.63 / 0.01) * 0.01).not.toBe(61837.63);
    for (const [price, tick] of [
      [61837.63, '0.01'],
      [1.15, '0.05'],
      [0.3, '0.1'],
      [0.00007, '0.00001'],
    ] as const) {
      expect(roundBidToTick(price, tick)).toBe(String(price));
      expect(roundAskToTick(price, tick)).toBe(String(price));
      expect(roundBidToTick(String(price), tick)).toBe(String(price));
      expect(roundAskToTick(String(price), tick)).toBe(String(price));
    }
  });

  it('rounds a bid down and an ask up', () => {
    expect(roundBidToTick(100.019, '0.01')).toBe('100.01');
    expect(roundAskToTick(100.011, '0.01')).toBe('100.02');
    expect(roundBidToTick('100.3', '0.5')).toBe('100');
    expect(roundAskToTick('100.3', '0.5')).toBe('100.5');
    expect(roundBidToTick('0.000019', '0.00001')).toBe('0.00001');
    expect(roundAskToTick('0.000011', '0.00001')).toBe('0.00002');
  });

  it('returns canonical decimal strings', () => {
    expect(roundBidToTick('100.10', '0.01')).toBe('100.1');
    expect(roundAskToTick('99.999', '0.01')).toBe('100');
    expect(roundBidToTick('0.004', '0.01')).toBe('0');
    expect(roundBidToTick(1e-7, '0.00001')).toBe('0');
  });

  it('a bid never rounds up, an ask never rounds down, both land on the grid within one tick', () => {
    fc.assert(
      fc.property(arbPriceString, fc.constantFrom(...TICKS), fc.boolean(), (price, tick, asNumber) => {
        const input = asNumber ? Number(price) : price;
        const p = D(input);
        const bid = D(roundBidToTick(input, tick));
        const ask = D(roundAskToTick(input, tick));
        expect(bid.lte(p)).toBe(true);
        expect(p.minus(bid).lt(tick)).toBe(true);
        expect(ask.gte(p)).toBe(true);
        expect(ask.minus(p).lt(tick)).toBe(true);
        expect(isOnGrid(bid, tick)).toBe(true);
        expect(isOnGrid(ask, tick)).toBe(true);
      }),
    );
  });

  it('leaves on-grid values unchanged, as strings and as numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.constantFrom(...TICKS), (n, tick) => {
        const onGrid = D(n).times(tick).toFixed();
        expect(roundBidToTick(onGrid, tick)).toBe(onGrid);
        expect(roundAskToTick(onGrid, tick)).toBe(onGrid);
        // At most 15 significant digits, so the float64 reads back as the same decimal.
        expect(roundBidToTick(Number(onGrid), tick)).toBe(onGrid);
        expect(roundAskToTick(Number(onGrid), tick)).toBe(onGrid);
      }),
    );
  });

  it('rejects a non-positive tick and non-finite prices', () => {
    expect(() => roundBidToTick(100, '0')).toThrow(StrategyInputError);
    expect(() => roundAskToTick(100, '-0.01')).toThrow(StrategyInputError);
    expect(() => roundBidToTick(Number.NaN, '0.01')).toThrow(StrategyInputError);
    expect(() => roundAskToTick(Number.POSITIVE_INFINITY, '0.01')).toThrow(StrategyInputError);
    expect(() => roundBidToTick('1.2.3', '0.01')).toThrow(StrategyInputError);
  });
});

describe('lot rounding', () => {
  it('rounds down to the lot', () => {
    expect(roundDownToLot('0.0312345', '0.00001')).toBe('0.03123');
    expect(roundDownToLot('0.00000999', '0.00001')).toBe('0');
    expect(roundDownToLot(2.5, '1')).toBe('2');
    expect(roundDownToLot('0.3', '0.1')).toBe('0.3');
  });

  it('never rounds up and lands on the lot grid within one lot', () => {
    fc.assert(
      fc.property(arbPriceString, fc.constantFrom(...LOTS), (amount, lot) => {
        const out = D(roundDownToLot(amount, lot));
        expect(out.lte(amount)).toBe(true);
        expect(D(amount).minus(out).lt(lot)).toBe(true);
        expect(isOnGrid(out, lot)).toBe(true);
      }),
    );
  });

  it('rejects a negative amount', () => {
    expect(() => roundDownToLot('-1', '0.1')).toThrow(StrategyInputError);
  });
});
