import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { decideLiquidation } from '../../../src/strategy/liquidation.js';
import { isOnGrid, roundAskToTick, roundBidToTick, roundDownToLot } from '../../../src/strategy/tick-rounding.js';
import { arbGridBook, inputs, LOTS, market, params } from './fixtures.js';

const BOOK = { bestBid: 61837.63, bestAsk: 61837.64 };
const P = params(); // maxPosition 0.05, slippage 5 bps

describe('decideLiquidation', () => {
  it('long: sells only the excess over maxPosition, through the bid by at most the slippage', () => {
    const d = decideLiquidation(inputs({ ...BOOK, position: '0.08' }), P, market());
    expect(d.bids).toEqual([]);
    expect(d.asks).toHaveLength(1);
    const o = d.asks[0];
    expect(o?.amount).toBe('0.03'); // 0.08 - 0.05
    const cap = D(BOOK.bestBid).times('0.9995');
    expect(o?.price).toBe(roundAskToTick(cap, '0.01'));
    expect(D(o?.price ?? 0).gte(cap)).toBe(true); // never worse than the cap
    expect(D(o?.price ?? 0).lte(BOOK.bestBid)).toBe(true); // through the touch: crosses
    expect(d.rules[0]).toMatchObject({ rule: 'liquidation', detail: { side: 'sell', excess: '0.03', amount: '0.03' } });
  });

  it('short: buys only the excess, rounded down to the lot, through the ask by at most the slippage', () => {
    const d = decideLiquidation(inputs({ ...BOOK, position: '-0.0812345' }), P, market());
    expect(d.asks).toEqual([]);
    expect(d.bids).toHaveLength(1);
    const o = d.bids[0];
    expect(o?.amount).toBe(roundDownToLot('0.0312345', '0.00001')); // 0.03123
    expect(o?.amount).toBe('0.03123');
    const cap = D(BOOK.bestAsk).times('1.0005');
    expect(o?.price).toBe(roundBidToTick(cap, '0.01'));
    expect(D(o?.price ?? 0).lte(cap)).toBe(true);
    expect(D(o?.price ?? 0).gte(BOOK.bestAsk)).toBe(true);
  });

  it('does nothing without an excess, and says so', () => {
    for (const position of ['0', '0.05', '-0.05', '0.01']) {
      const d = decideLiquidation(inputs({ ...BOOK, position }), P, market());
      expect(d.bids).toEqual([]);
      expect(d.asks).toEqual([]);
      expect(d.reason).toMatch(/^no excess to liquidate/);
    }
  });

  it('raises a too-small excess to the smallest lot multiple that clears the minimum notional', () => {
    // Excess 0.0001 at ~61807 is ~6.18 USDT, below a 100 USDT minimum.
    const m = market({ minNotional: '100' });
    const d = decideLiquidation(inputs({ ...BOOK, position: '0.0501' }), P, m);
    const o = d.asks[0];
    const price = D(o?.price ?? 0);
    const amount = D(o?.amount ?? 0);
    expect(price.times(amount).gte(100)).toBe(true);
    expect(price.times(amount.minus('0.00001')).lt(100)).toBe(true); // the smallest such amount
    expect(amount.lte('0.0501')).toBe(true);
    expect(d.rules.find((r) => r.rule === 'min-notional')?.detail).toMatchObject({ reachable: true, excessAmount: '0.0001' });
  });

  it('never sells more than the position to clear the minimum notional', () => {
    // |position| 0.0012 is worth ~74 USDT: no order can clear a 100 USDT minimum without flipping.
    const p = params({ inventory: { maxPosition: '0.001', hardLimit: '0.001' } });
    const d = decideLiquidation(inputs({ ...BOOK, position: '0.0012' }), p, market({ minNotional: '100' }));
    expect(d.asks).toEqual([]);
    expect(d.bids).toEqual([]);
    expect(d.rules.find((r) => r.rule === 'min-notional')?.detail).toMatchObject({ reachable: false });
    expect(d.reason).toMatch(/^cannot liquidate/);
  });

  it('random books and positions: reducing side only, within the cap, on the grids, never more than the position', () => {
    fc.assert(
      fc.property(
        arbGridBook(),
        fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => D(n).div(1e6).toFixed()),
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.constantFrom(...LOTS),
        fc.constantFrom('0', '5', '100'),
        (book, position, slippageBps, lot, minNotional) => {
          const p = params({ inventory: { maxPosition: '1', hardLimit: '2' }, liquidation: { slippageBps } });
          const m = market({ tickSize: book.tick, lotSize: lot, minNotional });
          const d = decideLiquidation(inputs({ bestBid: book.bestBid, bestAsk: book.bestAsk, position }), p, m);
          const pos = D(position);
          const excess = pos.abs().minus(1);
          if (!excess.gt(0)) {
            expect([...d.bids, ...d.asks]).toEqual([]);
            return;
          }
          const orders = pos.gt(0) ? d.asks : d.bids;
          expect(pos.gt(0) ? d.bids : d.asks).toEqual([]); // never the adding side
          expect(orders.length).toBeLessThanOrEqual(1);
          const o = orders[0];
          if (o === undefined) return; // only when min notional is unreachable
          const price = D(o.price);
          const amount = D(o.amount);
          expect(isOnGrid(price, book.tick)).toBe(true);
          expect(isOnGrid(amount, lot)).toBe(true);
          expect(amount.gt(0)).toBe(true);
          expect(amount.lte(pos.abs())).toBe(true);
          expect(price.times(amount).gte(minNotional)).toBe(true);
          const slip = D(slippageBps).div(1e4);
          if (pos.gt(0)) {
            expect(price.gte(D(book.bestBid).times(D(1).minus(slip)))).toBe(true);
          } else {
            expect(price.lte(D(book.bestAsk).times(D(1).plus(slip)))).toBe(true);
          }
          // The plain excess is used whenever it clears the minimum on its own.
          const plain = D(roundDownToLot(excess, lot));
          if (plain.gt(0) && price.times(plain).gte(minNotional)) expect(amount.eq(plain)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
