import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { buildLadder, type LadderInputs } from '../../../src/strategy/ladder.js';
import type { RuleFiring } from '../../../src/strategy/quote-types.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { isOnGrid } from '../../../src/strategy/tick-rounding.js';
import { arbGridBook, LOTS } from './fixtures.js';

const base: LadderInputs = {
  reference: 100,
  halfSpreadBps: 10,
  skewBps: 0,
  levels: 3,
  levelSpacingBps: 5,
  levelSizeQuote: '200',
  sizeFactors: { bid: 1, ask: 1 },
  market: { tickSize: '0.01', lotSize: '0.001', minNotional: '5' },
  bestBid: 99.99,
  bestAsk: 100.01,
};
const ladder = (over: Partial<LadderInputs> = {}) => buildLadder({ ...base, ...over });
const prices = (levels: readonly { price: string }[]) => levels.map((l) => l.price);
const rulesNamed = (l: { rules: readonly RuleFiring[] }, name: string) => l.rules.filter((r) => r.rule === name);

describe('buildLadder', () => {
  it('places level i at ref x (1 -/+ (half + i x spacing) / 1e4)', () => {
    // 100 x (1 - 10/1e4) = 99.9, then 15 and 20 bps: 99.85, 99.8; asks mirror it.
    const l = ladder();
    expect(prices(l.bids)).toEqual(['99.9', '99.85', '99.8']);
    expect(prices(l.asks)).toEqual(['100.1', '100.15', '100.2']);
    expect(l.bids.map((b) => b.level)).toEqual([0, 1, 2]);
    expect(l.rules).toEqual([]);
  });

  it('shifts both sides by the skew', () => {
    // skew -20 bps: bids at -30, -35, -40 bps; asks at -10, -5, 0 bps, inside a 99.7 / 99.8 book.
    const l = ladder({ skewBps: -20, bestBid: 99.7, bestAsk: 99.8 });
    expect(prices(l.bids)).toEqual(['99.7', '99.65', '99.6']);
    expect(prices(l.asks)).toEqual(['99.9', '99.95', '100']);
  });

  it('rounds bids down and asks up to the tick', () => {
    // ref 100.003, half 0: raw prices 100.003 both sides.
    const l = ladder({ reference: 100.003, halfSpreadBps: 0, levels: 1, bestBid: 99, bestAsk: 101 });
    expect(prices(l.bids)).toEqual(['100']);
    expect(prices(l.asks)).toEqual(['100.01']);
  });

  it('sizes each level in quote currency, rounded down to the lot', () => {
    const l = ladder({ sizeFactors: { bid: 0.5, ask: 1.5 } });
    for (const [levels, factor] of [
      [l.bids, 0.5],
      [l.asks, 1.5],
    ] as const) {
      for (const q of levels) {
        const exact = D(200).times(factor).div(q.price);
        const expected = exact.div('0.001').floor().times('0.001');
        expect(D(q.amount).eq(expected)).toBe(true);
      }
    }
    expect(l.bids[0]?.amount).toBe('1.001'); // 100 / 99.9 = 1.001001...
  });

  it('drops a level below the minimum notional and records it', () => {
    // 200 x factor must reach 300: the 1.6x ask side (320) survives, the 1x bid side (200) does not.
    const l = ladder({ market: { ...base.market, minNotional: '300' }, sizeFactors: { bid: 1, ask: 1.6 } });
    expect(l.bids).toEqual([]);
    expect(l.asks).toHaveLength(3);
    const fired = rulesNamed(l, 'min-notional');
    expect(fired).toHaveLength(3);
    expect(fired[0]?.detail).toMatchObject({ side: 'bid', level: 0, price: '99.9', minNotional: '300' });
    for (const q of l.asks) expect(D(q.price).times(q.amount).gte(300)).toBe(true);
  });

  it('drops zero-size levels (size factor 0)', () => {
    const l = ladder({ sizeFactors: { bid: 0, ask: 2 } });
    expect(l.bids).toEqual([]);
    expect(rulesNamed(l, 'zero-amount')).toHaveLength(3);
    expect(l.asks).toHaveLength(3);
  });

  it('clamps a bid that would cross to one tick below the best ask, and drops the duplicates', () => {
    // A stale reference of 101 above a 99.99 / 100.01 book: every raw bid is above the ask.
    const l = ladder({ reference: 101 });
    expect(prices(l.bids)).toEqual(['100']);
    const clamps = rulesNamed(l, 'no-cross-clamp');
    expect(clamps.map((r) => r.detail['clampedTo'])).toEqual(['100', '100', '100']);
    expect(rulesNamed(l, 'duplicate-price').map((r) => r.detail['level'])).toEqual([1, 2]);
    expect(prices(l.asks)).toEqual(['101.11', '101.16', '101.21']);
  });

  it('clamps an ask that would cross to one tick above the best bid', () => {
    const l = ladder({ reference: 99 });
    expect(prices(l.asks)).toEqual(['100']);
    expect(rulesNamed(l, 'no-cross-clamp')).toHaveLength(3);
  });

  it('keeps our own ask above our own bid even with a zero half-spread', () => {
    // ref 100 is on the grid: both raw prices are 100; the bid takes it, the ask moves one tick up.
    const l = ladder({ halfSpreadBps: 0, levels: 1, bestBid: 99.9, bestAsk: 100.1 });
    expect(prices(l.bids)).toEqual(['100']);
    expect(prices(l.asks)).toEqual(['100.01']);
    expect(rulesNamed(l, 'no-cross-clamp')[0]?.detail).toMatchObject({ side: 'ask', against: 'own-bid', clampedTo: '100.01' });
  });

  it('collapses levels that round to the same tick', () => {
    const l = ladder({ market: { ...base.market, tickSize: '1' }, levelSpacingBps: 1, bestBid: 90, bestAsk: 110 });
    expect(prices(l.bids)).toEqual(['99']);
    expect(prices(l.asks)).toEqual(['101']);
    expect(rulesNamed(l, 'duplicate-price')).toHaveLength(4);
  });

  it('drops a bid whose price rounds to zero', () => {
    // 9999.9 bps under 100 is 0.001, which rounds down to 0 on a 0.01 tick.
    const l = ladder({ halfSpreadBps: 9_999.9, levels: 1, market: { ...base.market, minNotional: '0' } });
    expect(l.bids).toEqual([]);
    expect(rulesNamed(l, 'non-positive-price')).toHaveLength(1);
  });

  it('rejects a crossed book and bad size factors', () => {
    expect(() => ladder({ bestBid: 100.02, bestAsk: 100.01 })).toThrow(StrategyInputError);
    expect(() => ladder({ sizeFactors: { bid: 2.5, ask: 1 } })).toThrow(StrategyInputError);
    expect(() => ladder({ reference: 0 })).toThrow(StrategyInputError);
  });

  it('never crosses the book, keeps strict order, and stays on the grids (random books)', () => {
    fc.assert(
      fc.property(
        arbGridBook(),
        fc.record({
          refOffsetBps: fc.double({ min: -100, max: 100, noNaN: true }),
          halfSpreadBps: fc.double({ min: 0, max: 50, noNaN: true }),
          skewBps: fc.double({ min: -20, max: 20, noNaN: true }),
          levels: fc.integer({ min: 1, max: 6 }),
          levelSpacingBps: fc.double({ min: 0, max: 10, noNaN: true }),
          levelSizeQuote: fc.constantFrom('10', '200', '5000'),
          bid: fc.double({ min: 0, max: 2, noNaN: true }),
          ask: fc.double({ min: 0, max: 2, noNaN: true }),
          lot: fc.constantFrom(...LOTS),
          minNotional: fc.constantFrom('0', '5', '100'),
        }),
        (book, r) => {
          const mid = (book.bestBid + book.bestAsk) / 2;
          const l = buildLadder({
            reference: mid * (1 + r.refOffsetBps / 1e4),
            halfSpreadBps: r.halfSpreadBps,
            skewBps: r.skewBps,
            levels: r.levels,
            levelSpacingBps: r.levelSpacingBps,
            levelSizeQuote: r.levelSizeQuote,
            sizeFactors: { bid: r.bid, ask: r.ask },
            market: { tickSize: book.tick, lotSize: r.lot, minNotional: r.minNotional },
            bestBid: book.bestBid,
            bestAsk: book.bestAsk,
          });
          const all = [...l.bids, ...l.asks];
          for (const q of l.bids) expect(D(q.price).lt(book.bestAsk)).toBe(true);
          for (const q of l.asks) expect(D(q.price).gt(book.bestBid)).toBe(true);
          for (const q of all) {
            expect(D(q.price).gt(0)).toBe(true);
            expect(D(q.amount).gt(0)).toBe(true);
            expect(isOnGrid(q.price, book.tick)).toBe(true);
            expect(isOnGrid(q.amount, r.lot)).toBe(true);
            expect(D(q.price).times(q.amount).gte(r.minNotional)).toBe(true);
          }
          for (let i = 1; i < l.bids.length; i++) expect(D(l.bids[i]?.price ?? 0).lt(l.bids[i - 1]?.price ?? 0)).toBe(true);
          for (let i = 1; i < l.asks.length; i++) expect(D(l.asks[i]?.price ?? 0).gt(l.asks[i - 1]?.price ?? 0)).toBe(true);
          // Our own quotes never cross each other either.
          if (l.bids[0] && l.asks[0]) expect(D(l.bids[0].price).lt(l.asks[0].price)).toBe(true);
          // Every level is either quoted or accounted for by a dropping rule.
          const drops = l.rules.filter((x) => x.rule !== 'no-cross-clamp').length;
          expect(all.length + drops).toBe(2 * r.levels);
        },
      ),
      { numRuns: 500 },
    );
  });
});
