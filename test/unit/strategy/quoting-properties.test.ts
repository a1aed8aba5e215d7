import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { StrategyParamsSchema, type StrategyParams } from '../../../src/config/strategy-params.js';
import { decideQuotes } from '../../../src/strategy/decide-quotes.js';
import type { QuoteInputs, QuoteSignals } from '../../../src/strategy/quote-types.js';
import { arbGridBook, arbPosition, market } from './fixtures.js';

/*
 * Properties of the whole decision with random books, positions, signals and
 * random combinations of the quoting rules switched on.
 */

const arbParams = (): fc.Arbitrary<StrategyParams> =>
  fc
    .record({
      model: fc.constantFrom('ladder', 'avellaneda-stoikov', 'glft'),
      source: fc.constantFrom('mid', 'microprice', 'last-trade', 'external-mid'),
      regimes: fc.boolean(),
      fees: fc.boolean(),
      adverse: fc.boolean(),
      pressure: fc.boolean(),
      depth: fc.boolean(),
      reduceOnly: fc.boolean(),
      ratio: fc.double({ min: 0.1, max: 1, noNaN: true }),
      cap: fc.boolean(),
      rebalance: fc.boolean(),
      age: fc.constantFrom('off', 'skew', 'reduce-only'),
      sizeUnit: fc.constantFrom('quote', 'base'),
      levels: fc.integer({ min: 1, max: 5 }),
      target: fc.constantFrom('0', '0.01', '-0.02'),
      gamma: fc.double({ min: 0.01, max: 2, noNaN: true }),
    })
    .map((r) =>
      StrategyParamsSchema.parse({
        volatility: { regimes: { enabled: r.regimes } },
        reference: { source: r.source },
        fees: { enabled: r.fees },
        adverseSelection: { enabled: r.adverse, fillsPerMinuteAbove: 1 },
        pressure: { enabled: r.pressure, imbalanceShiftBps: 3, flowShiftBps: 5 },
        optimal: { model: r.model, gamma: r.gamma, sigmaSource: 'ewma', intensitySource: 'estimated' },
        ladder: { levels: r.levels, sizeUnit: r.sizeUnit, levelSizeBase: '0.003', sizeIncrement: r.sizeUnit === 'base' ? '0.001' : '50', depth: { enabled: r.depth, fraction: 0.5 } },
        inventory: {
          target: r.target,
          reduceOnlyEnabled: r.reduceOnly,
          reduceOnlyRatio: r.ratio,
          capToHeadroom: r.cap,
          rebalance: { enabled: r.rebalance, tightenBps: 2 },
          age: { enabled: r.age !== 'off', action: r.age === 'off' ? 'skew' : r.age, halfLifeMs: 1_000, maxMultiple: 1 },
        },
        allocation: { enabled: true },
      }),
    );

const arbSignals = (): fc.Arbitrary<QuoteSignals> =>
  fc.record({
    bestBidSize: fc.double({ min: 0.001, max: 10, noNaN: true }),
    bestAskSize: fc.double({ min: 0.001, max: 10, noNaN: true }),
    bookImbalance: fc.double({ min: -1, max: 1, noNaN: true }),
    depthBidAvgSize: fc.double({ min: 0.0001, max: 5, noNaN: true }),
    depthAskAvgSize: fc.double({ min: 0.0001, max: 5, noNaN: true }),
    lastTradePrice: fc.double({ min: 0.5, max: 2, noNaN: true }),
    lastTradeAgeMs: fc.integer({ min: 0, max: 10_000 }),
    externalMid: fc.double({ min: 0.5, max: 2, noNaN: true }),
    externalMidAgeMs: fc.integer({ min: 0, max: 10_000 }),
    tradeFlowImbalance: fc.double({ min: -1, max: 1, noNaN: true }),
    fillsPerMinute: fc.double({ min: 0, max: 20, noNaN: true }),
    inventoryAgeMs: fc.integer({ min: 0, max: 5_000 }),
    sigmaBps: fc.double({ min: 0, max: 20, noNaN: true }),
    intensityA: fc.double({ min: 0.05, max: 50, noNaN: true }),
    intensityK: fc.double({ min: 0.01, max: 5, noNaN: true }),
    venueFillRates: fc.constant({ binance: 2, okx: 1 }),
  });

interface Case {
  readonly params: StrategyParams;
  readonly inputs: QuoteInputs;
  readonly tick: string;
  readonly lot: string;
}

/** Last-trade and external prices are drawn relative to the book, so some lie outside it. */
const arbCase = (): fc.Arbitrary<Case> =>
  fc.record({ params: arbParams(), book: arbGridBook(), position: arbPosition(0.1), signals: arbSignals(), lot: fc.constantFrom('0.00001', '0.001'), vol: fc.double({ min: 0, max: 20, noNaN: true }) }).map((r) => {
    const mid = D(r.book.bestBid).plus(r.book.bestAsk).div(2).toNumber();
    const signals = { ...r.signals, lastTradePrice: mid * (1 + (r.signals.lastTradePrice! - 1) / 100), externalMid: mid * (1 + (r.signals.externalMid! - 1) / 100) };
    return {
      params: r.params,
      tick: r.book.tick,
      lot: r.lot,
      inputs: { ts: 1_700_000_000_000, mid, bestBid: r.book.bestBid, bestAsk: r.book.bestAsk, volatilityBps: r.vol, position: r.position, reduceOnly: false, signals },
    };
  });

const decide = (c: Case, over: Partial<QuoteInputs> = {}) => decideQuotes({ ...c.inputs, ...over }, c.params, market({ tickSize: c.tick, lotSize: c.lot, minNotional: '0' }));

describe('quoting properties, every rule combination', () => {
  it('after snapping, bid < ask and no quote crosses or touches the far side of the book', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const d = decide(c);
        const bid = d.bids[0];
        const ask = d.asks[0];
        if (bid) expect(D(bid.price).lt(c.inputs.bestAsk)).toBe(true);
        if (ask) expect(D(ask.price).gt(c.inputs.bestBid)).toBe(true);
        if (bid && ask) expect(D(bid.price).lt(ask.price)).toBe(true);
        for (const l of [...d.bids, ...d.asks]) expect(D(l.price).mod(c.tick).isZero()).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('long inventory never raises either quote, short never lowers one (against the position at target)', () => {
    fc.assert(
      fc.property(arbCase(), fc.integer({ min: 1, max: 10_000_000 }), (c, units) => {
        const target = D(c.params.inventory.target);
        const atTarget = decide(c, { position: target.toFixed() });
        const long = decide(c, { position: target.plus(D(units).div(1e8)).toFixed() });
        const short = decide(c, { position: target.minus(D(units).div(1e8)).toFixed() });
        for (const side of ['bids', 'asks'] as const) {
          const flat = atTarget[side][0];
          if (!flat) continue;
          const l = long[side][0];
          const s = short[side][0];
          if (l) expect(D(l.price).lte(flat.price)).toBe(true);
          if (s) expect(D(s.price).gte(flat.price)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('past reduceOnlyRatio x maxPosition only the reducing side is quoted', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const params = { ...c.params, inventory: { ...c.params.inventory, reduceOnlyEnabled: true } };
        const d = decideQuotes(c.inputs, params, market({ tickSize: c.tick, lotSize: c.lot, minNotional: '0' }));
        const pos = D(c.inputs.position);
        if (pos.abs().gt(D(params.inventory.maxPosition).times(params.inventory.reduceOnlyRatio))) {
          if (pos.gt(0)) expect(d.bids).toEqual([]);
          else expect(d.asks).toEqual([]);
          expect(d.rules.some((r) => r.rule === 'reduce-only-side')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with the headroom cap, a side never adds up to more than the room to maxPosition', () => {
    fc.assert(
      fc.property(arbCase(), (c) => {
        const params = { ...c.params, inventory: { ...c.params.inventory, capToHeadroom: true } };
        const d = decideQuotes(c.inputs, params, market({ tickSize: c.tick, lotSize: c.lot, minNotional: '0' }));
        const max = D(params.inventory.maxPosition);
        const pos = D(c.inputs.position);
        const total = (ls: readonly { amount: string }[]) => ls.reduce((s, l) => s.plus(l.amount), D(0));
        // A whole side filling leaves |position| within maxPosition (or no worse than it was).
        expect(pos.plus(total(d.bids)).lte(Math.max(max.toNumber(), pos.toNumber()))).toBe(true);
        expect(pos.minus(total(d.asks)).gte(Math.min(max.neg().toNumber(), pos.toNumber()))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('over any sequence of fills with the headroom cap on, |position| never passes maxPosition', () => {
    fc.assert(
      fc.property(
        arbCase(),
        fc.array(fc.record({ side: fc.constantFrom('bids', 'asks'), level: fc.nat(4), part: fc.constantFrom(1, 0.5) }), { minLength: 1, maxLength: 40 }),
        (c, fills) => {
          const params = { ...c.params, inventory: { ...c.params.inventory, capToHeadroom: true } };
          const max = D(params.inventory.maxPosition);
          let pos = D(c.inputs.position);
          for (const f of fills) {
            const d = decideQuotes({ ...c.inputs, position: pos.toFixed() }, params, market({ tickSize: c.tick, lotSize: c.lot, minNotional: '0' }));
            const level = d[f.side as 'bids' | 'asks'][f.level];
            if (!level) continue;
            const before = pos.abs();
            const amount = D(level.amount).times(f.part);
            pos = f.side === 'bids' ? pos.plus(amount) : pos.minus(amount);
            // Inside the limit it stays inside; beyond it (a start outside) it never grows.
            expect(pos.abs().lte(before.gt(max) ? before : max)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
