import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D, Decimal } from '../../../src/core/decimal.js';
import type { StrategyParams } from '../../../src/config/strategy-params.js';
import { decideQuotes } from '../../../src/strategy/decide-quotes.js';
import { decideLiquidation } from '../../../src/strategy/liquidation.js';
import type { QuoteInputs, RuleFiring } from '../../../src/strategy/quote-types.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { roundAskToTick, roundBidToTick } from '../../../src/strategy/tick-rounding.js';
import { arbGridBook, arbPosition, deepFreeze, inputs, market, params } from './fixtures.js';

// A book wide enough that the default ladder rests inside it without clamping.
const WIDE = { mid: 61_840, bestBid: 61_830, bestAsk: 61_850 };
const ruleOf = (d: { rules: readonly RuleFiring[] }, name: string) => d.rules.find((r) => r.rule === name);

describe('decideQuotes', () => {
  it('quotes the default ladder at base spread around the mid when flat and calm', () => {
    const p = params();
    const d = decideQuotes(inputs(WIDE), p, market());
    // Default: 4 bps spread -> 2 bps half, 2 bps spacing, 2 levels, 200 USDT each.
    const expectBid = (bps: number) => roundBidToTick(D(WIDE.mid).times(D(1).minus(D(bps).div(1e4))), '0.01');
    const expectAsk = (bps: number) => roundAskToTick(D(WIDE.mid).times(D(1).plus(D(bps).div(1e4))), '0.01');
    expect(d.bids.map((l) => l.price)).toEqual([expectBid(2), expectBid(4)]);
    expect(d.asks.map((l) => l.price)).toEqual([expectAsk(2), expectAsk(4)]);
    for (const l of [...d.bids, ...d.asks]) {
      expect(l.amount).toBe(D(200).div(l.price).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed());
    }
    expect(d.rules).toEqual([]);
    expect(d.reason).toMatch(/^quoting 2 bids, 2 asks; spread 4 bps/);
  });

  it('widens the spread by the volatility multiplier and records it with its numbers', () => {
    // vol 2 bps, k 0.5 -> multiplier 2 -> spread 8 bps, half 4 bps.
    const d = decideQuotes(inputs({ ...WIDE, volatilityBps: 2 }), params(), market());
    expect(ruleOf(d, 'volatility-multiplier')?.detail).toEqual({ volatilityBps: 2, k: 0.5, multiplier: 2, maxMultiplier: 3, capped: false });
    expect(d.bids[0]?.price).toBe(roundBidToTick(D(WIDE.mid).times(D(1).minus('0.0004')), '0.01'));
    expect(d.asks[0]?.price).toBe(roundAskToTick(D(WIDE.mid).times(D(1).plus('0.0004')), '0.01'));
  });

  it('caps the volatility multiplier', () => {
    const d = decideQuotes(inputs({ ...WIDE, volatilityBps: 100 }), params(), market());
    expect(ruleOf(d, 'volatility-multiplier')?.detail).toMatchObject({ multiplier: 3, capped: true });
    // 3 x 4 = 12 bps spread: the top bid sits 6 bps under the mid.
    expect(d.bids[0]?.price).toBe(roundBidToTick(D(WIDE.mid).times(D(1).minus('0.0006')), '0.01'));
  });

  it('never goes below minSpreadBps', () => {
    // Built by hand: the schema forbids minSpread > baseSpread, this checks the floor itself.
    const p: StrategyParams = { ...params(), baseSpreadBps: 2, minSpreadBps: 6 };
    const d = decideQuotes(inputs(WIDE), p, market());
    expect(ruleOf(d, 'min-spread')?.detail).toEqual({ spreadBps: 2, minSpreadBps: 6 });
    expect(d.bids[0]?.price).toBe(roundBidToTick(D(WIDE.mid).times(D(1).minus('0.0003')), '0.01'));
  });

  it('records the inventory skews with their numbers', () => {
    const d = decideQuotes(inputs({ ...WIDE, position: '0.025' }), params(), market());
    expect(ruleOf(d, 'inventory-price-skew')?.detail).toMatchObject({ position: '0.025', skewBps: -1.5, capped: false });
    expect(ruleOf(d, 'inventory-size-skew')?.detail).toMatchObject({ bidFactor: 0.5, askFactor: 1.5 });
  });

  it('records the no-cross clamp on a one-tick book', () => {
    // Long 0.1 (cap, -6 bps): the top ask at -4 bps would sit below the best bid.
    const d = decideQuotes(inputs({ position: '0.1' }), params(), market());
    expect(ruleOf(d, 'no-cross-clamp')?.detail).toMatchObject({ side: 'ask', level: 0, clampedTo: '61837.64' });
    expect(d.asks[0]?.price).toBe('61837.64');
    expect(d.bids).toEqual([]); // bid size factor 0 at/after maxPosition
    expect(ruleOf(d, 'zero-amount')).toBeDefined();
  });

  it('drops levels below the minimum notional and says so when nothing is left', () => {
    const d = decideQuotes(inputs(WIDE), params(), market({ minNotional: '1000' }));
    expect(d.bids).toEqual([]);
    expect(d.asks).toEqual([]);
    expect(d.rules.filter((r) => r.rule === 'min-notional')).toHaveLength(4);
    expect(d.reason).toMatch(/^no quotes: every level dropped \(min-notional\)/);
  });

  it('delegates to decideLiquidation when reduce-only', () => {
    const i = inputs({ position: '0.09', reduceOnly: true });
    expect(decideQuotes(i, params(), market())).toEqual(decideLiquidation(i, params(), market()));
    expect(decideQuotes(i, params(), market()).bids).toEqual([]);
  });

  it('rejects inputs it cannot quote from', () => {
    const bad: Array<Partial<QuoteInputs>> = [
      { mid: 0 },
      { mid: Number.NaN },
      { bestBid: 61837.65 }, // crossed
      { position: 'abc' },
      { volatilityBps: -1 },
      { volatilityBps: Number.POSITIVE_INFINITY },
    ];
    for (const over of bad) expect(() => decideQuotes(inputs(over), params(), market())).toThrow(StrategyInputError);
  });

  it('is deterministic, does not mutate its inputs, and survives a JSON round trip unchanged', () => {
    const i = deepFreeze(inputs({ volatilityBps: 1.37, position: '-0.0123' }));
    const p = deepFreeze(params());
    const m = deepFreeze(market());
    const a = decideQuotes(i, p, m);
    const b = decideQuotes(structuredClone(i), structuredClone(p), structuredClone(m));
    expect(b).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('is deterministic and never crosses for random books, positions and volatility', () => {
    fc.assert(
      fc.property(arbGridBook(), arbPosition(0.2), fc.double({ min: 0, max: 20, noNaN: true }), (book, position, volatilityBps) => {
        const i = inputs({ mid: (book.bestBid + book.bestAsk) / 2, bestBid: book.bestBid, bestAsk: book.bestAsk, position, volatilityBps });
        const m = market({ tickSize: book.tick, lotSize: '0.00001', minNotional: '1' });
        const a = decideQuotes(i, params(), m);
        expect(decideQuotes(structuredClone(i), params(), m)).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
        for (const q of a.bids) expect(D(q.price).lt(book.bestAsk)).toBe(true);
        for (const q of a.asks) expect(D(q.price).gt(book.bestBid)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
