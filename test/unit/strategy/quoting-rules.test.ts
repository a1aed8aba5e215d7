import { describe, expect, it } from '@jest/globals';
import { decideQuotes } from '../../../src/strategy/decide-quotes.js';
import { fromQuoteInputsData, toQuoteInputsData } from '../../../src/strategy/decision-record.js';
import { headroom, inventoryAgeBreach, rebalanceSignal, reduceOnlySide } from '../../../src/strategy/inventory-rules.js';
import { pressureShiftBps } from '../../../src/strategy/market-pressure.js';
import { selectReference } from '../../../src/strategy/reference-price.js';
import { bookImbalance, summarizeBook } from '../../../src/strategy/signals/book-depth.js';
import { foldPosition, foldTrade, initialQuoteSignals, quoteSignalsAt, signalsWanted } from '../../../src/strategy/signals/quote-signals.js';
import { adverseSelectionWidening, feeAdjustedSpread, regimeSettings } from '../../../src/strategy/spread-rules.js';
import { allocateSize, allocationShares } from '../../../src/strategy/venue-allocation.js';
import { inputs, market, params } from './fixtures.js';

const rule = (d: { rules: readonly { rule: string; detail: Record<string, unknown> }[] }, name: string) => d.rules.find((r) => r.rule === name)?.detail;

describe('reference price', () => {
  const book = { mid: 100.5, bestBid: 100, bestAsk: 101 };
  it('microprice weights each side by the opposite size', () => {
    const r = selectReference({ ...book, signals: { bestBidSize: 3, bestAskSize: 1 } }, params({ reference: { source: 'microprice' } }).reference);
    expect(r.price).toBeCloseTo((100 * 1 + 101 * 3) / 4, 12);
  });
  it('last trade and external mid are used while fresh, else the mid with a recorded fallback', () => {
    const p = params({ reference: { source: 'last-trade', maxAgeMs: 1_000 } }).reference;
    expect(selectReference({ ...book, signals: { lastTradePrice: 100.8, lastTradeAgeMs: 10 } }, p).price).toBe(100.8);
    const stale = selectReference({ ...book, signals: { lastTradePrice: 100.8, lastTradeAgeMs: 5_000 } }, p);
    expect(stale.price).toBe(100.5);
    expect(stale.firing?.detail['fallback']).toBe('mid');
    const ext = params({ reference: { source: 'external-mid' } }).reference;
    expect(selectReference({ ...book, signals: { externalMid: 100.9, externalVenue: 'okx', externalMidAgeMs: 0 } }, ext).price).toBe(100.9);
    expect(selectReference({ ...book }, ext).firing?.detail['why']).toBe('no external mid yet');
  });
});

describe('spread rules', () => {
  it('volatility regimes pick the per-regime base spread and multiplier', () => {
    const p = params({ volatility: { regimes: { enabled: true, lowBelowBps: 1, highAboveBps: 5, high: { spreadMultiplier: 2, baseSpreadBps: 10 } } } }).volatility.regimes;
    expect(regimeSettings(0.5, 4, p)).toMatchObject({ regime: 'low', baseSpreadBps: 4, multiplier: 0.8 });
    expect(regimeSettings(3, 4, p)).toMatchObject({ regime: 'medium', multiplier: 1 });
    expect(regimeSettings(6, 4, p)).toMatchObject({ regime: 'high', baseSpreadBps: 10, multiplier: 2 });
  });
  it('a maker rebate tightens, a fee widens, and the floor holds', () => {
    const f = params({ fees: { enabled: true, floorBps: 2 } }).fees;
    expect(feeAdjustedSpread(4, '-0.0001', f).spreadBps).toBeCloseTo(2, 12);
    expect(feeAdjustedSpread(4, '0.0002', f).spreadBps).toBeCloseTo(8, 12);
    expect(feeAdjustedSpread(3, '-0.0002', f)).toMatchObject({ spreadBps: 2, firing: { detail: { floored: true } } });
  });
  it('adverse selection widens x1.5 only while the fill rate exceeds the threshold', () => {
    const a = params({ adverseSelection: { enabled: true, fillsPerMinuteAbove: 4 } }).adverseSelection;
    expect(adverseSelectionWidening(4, 4, a)).toBeNull();
    expect(adverseSelectionWidening(4, 4.5, a)?.spreadBps).toBe(6);
    expect(adverseSelectionWidening(4, undefined, a)).toBeNull();
  });
  it('defaults leave the plain ladder untouched and record no signals', () => {
    expect(signalsWanted(params())).toBe(false);
    const d = decideQuotes(inputs({ signals: { fillsPerMinute: 100, bookImbalance: 1 } }), params(), market());
    expect(d.rules.map((r) => r.rule)).toEqual([]);
  });
});

describe('market pressure', () => {
  it('book imbalance shifts linearly; one-sided flow adds a harder shift past the threshold', () => {
    const p = params({ pressure: { enabled: true, imbalanceShiftBps: 2, flowThreshold: 0.6, flowShiftBps: 5 } }).pressure;
    expect(pressureShiftBps(0.5, 0.5, p).shiftBps).toBeCloseTo(1, 12);
    expect(pressureShiftBps(0.5, -0.8, p).shiftBps).toBeCloseTo(1 - 4, 12);
    expect(pressureShiftBps(0, 0, p).firing).toBeNull();
  });
  it('the imbalance is computed over the top N levels of the depth the BOOK event carries', () => {
    const d = summarizeBook(
      [{ price: 100, size: 3 }, { price: 99.5, size: 1 }, { price: 98, size: 50 }],
      [{ price: 101, size: 1 }, { price: 101.5, size: 1 }],
    );
    if (!d) throw new Error('no depth');
    expect(bookImbalance(d, 2)).toBeCloseTo((4 - 2) / 6, 12);
    // 98 is more than 1 % below the mid of 100.5: outside the band.
    expect(d).toMatchObject({ bandBidSize: 4, bandBidLevels: 2, bandAskSize: 2, bandAskLevels: 2 });
  });
});

describe('ladder sizing', () => {
  it('per-level increment and size in base currency', () => {
    const d = decideQuotes(inputs(), params({ ladder: { levels: 3, sizeUnit: 'base', levelSizeBase: '0.002', sizeIncrement: '0.001' } }), market());
    expect(d.bids.map((l) => l.amount)).toEqual(['0.002', '0.003', '0.004']);
  });
  it('depth-aware: a fraction of the average resting size within 1 %, capped', () => {
    const p = params({ ladder: { levels: 1, depth: { enabled: true, fraction: 0.1, maxSizeBase: '0.01' } } });
    const d = decideQuotes(inputs({ signals: { depthBidAvgSize: 0.05, depthAskAvgSize: 1 } }), p, market());
    expect(d.bids[0]?.amount).toBe('0.005');
    expect(d.asks[0]?.amount).toBe('0.01');
    expect(d.rules.filter((r) => r.rule === 'depth-sizing').map((r) => r.detail['capped'])).toEqual([false, true]);
  });
});

describe('inventory rules', () => {
  const inv = (over: object = {}) => params({ inventory: { maxPosition: '0.05', ...over } }).inventory;
  it('the target moves the skews: at the target there is no skew', () => {
    const d = decideQuotes(inputs({ position: '0.02' }), params({ inventory: { target: '0.02' } }), market());
    expect(rule(d, 'inventory-price-skew')).toBeUndefined();
    const below = decideQuotes(inputs({ position: '0' }), params({ inventory: { target: '0.02' } }), market());
    expect(rule(below, 'inventory-price-skew')?.['skewBps']).toBeGreaterThan(0);
  });
  it('reduce-only past the ratio of the limit (default 0.8)', () => {
    expect(reduceOnlySide('0.04', inv())).toBeNull();
    expect(reduceOnlySide('0.0401', inv())?.side).toBe('ask');
    expect(reduceOnlySide('-0.0401', inv())?.side).toBe('bid');
  });
  it('rebalance urgency grows from startRatio to 1 at the limit, and tightens the reducing side', () => {
    const p = inv({ rebalance: { enabled: true, startRatio: 0.5, tightenBps: 2 } });
    expect(rebalanceSignal('0.02', p)).toBeNull();
    expect(rebalanceSignal('0.0375', p)).toMatchObject({ reducing: 'ask', urgency: 0.5, tightenBps: 1 });
    expect(rebalanceSignal('-0.06', p)).toMatchObject({ reducing: 'bid', urgency: 1 });
    const all = params({ inventory: { sizeSkew: 0, priceSkewBps: 0, maxPriceSkewBps: 0, rebalance: { enabled: true, startRatio: 0.5, tightenBps: 2 } } });
    const d = decideQuotes(inputs({ position: '0.05', bestBid: 61800, bestAsk: 61900, mid: 61850 }), all, market());
    const flat = decideQuotes(inputs({ position: '0', bestBid: 61800, bestAsk: 61900, mid: 61850 }), all, market());
    expect(Number(d.asks[0]?.price)).toBeLessThan(Number(flat.asks[0]?.price));
    expect(d.bids[0]?.price).toBe(flat.bids[0]?.price);
  });
  it('the age limit is maxMultiple half-lives; the age restarts when the position crosses the target', () => {
    const p = inv({ age: { enabled: true, halfLifeMs: 1_000, maxMultiple: 3, action: 'reduce-only' } });
    expect(inventoryAgeBreach(3_000, '0.01', p)).toBeNull();
    expect(inventoryAgeBreach(3_001, '0.01', p)).toMatchObject({ action: 'reduce-only', reducing: 'ask' });
    const sp = params({ inventory: { age: { enabled: true } } });
    let s = initialQuoteSignals(0, '0', sp);
    s = foldPosition(s, 1_000, '0.01', sp, true);
    s = foldPosition(s, 5_000, '0.02', sp, true);
    expect(quoteSignalsAt(s, 9_000, sp)?.inventoryAgeMs).toBe(8_000);
    s = foldPosition(s, 10_000, '-0.01', sp, true);
    expect(quoteSignalsAt(s, 12_000, sp)?.inventoryAgeMs).toBe(2_000);
    const d = decideQuotes(inputs({ position: '0.01', signals: { inventoryAgeMs: 10_000 } }), params({ inventory: { age: { enabled: true, halfLifeMs: 1_000, action: 'reduce-only' } } }), market());
    expect(d.bids).toEqual([]);
    expect(d.asks.length).toBeGreaterThan(0);
  });
  it('headroom: the room to maxPosition per side', () => {
    expect(headroom('0.03', inv())).toEqual({ bid: '0.02', ask: '0.08' });
    expect(headroom('0.06', inv())).toEqual({ bid: '0', ask: '0.11' });
    const d = decideQuotes(inputs({ position: '0.049' }), params({ inventory: { capToHeadroom: true, sizeSkew: 0 } }), market());
    expect(d.bids.reduce((s, l) => s + Number(l.amount), 0)).toBeLessThanOrEqual(0.001 + 1e-12);
    expect(rule(d, 'headroom-cap')).toBeDefined();
  });
});

describe('signals and their record', () => {
  it('own fill rate over the window, trade flow imbalance, and an exact round trip through the event form', () => {
    const p = params({ adverseSelection: { enabled: true, windowMs: 60_000 }, pressure: { enabled: true } });
    let s = initialQuoteSignals(0, '0', p);
    for (const t of [1_000, 2_000, 70_000]) s = foldPosition(s, t, '0.001', p, true);
    s = foldTrade(s, 70_000, 100, 3, 'buy', 100, p);
    s = foldTrade(s, 70_000, 100, 1, 'sell', 100, p);
    const sig = quoteSignalsAt(s, 71_000, p);
    expect(sig?.fillsPerMinute).toBe(1);
    expect(sig?.tradeFlowImbalance).toBeCloseTo(0.5, 12);
    const i = inputs({ signals: { ...sig, externalVenue: 'okx', externalMid: 61837.1, venueFillRates: { okx: 0.5 } } });
    expect(fromQuoteInputsData(toQuoteInputsData(i))).toEqual(i);
  });
});

describe('multi-venue allocation', () => {
  it('shares follow the fill rates above a floor, and sizes never sum above the total', () => {
    const s = allocationShares({ a: 3, b: 1, c: 0 }, 0.1);
    expect(s['a']).toBeCloseTo(0.1 + 0.7 * 0.75, 12);
    expect(s['c']).toBeCloseTo(0.1, 12);
    expect(Object.values(s).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(allocationShares({ a: 0, b: 0 }, 0.1)).toEqual({ a: 0.5, b: 0.5 });
    const sizes = allocateSize('0.01', s, '0.0001');
    expect(Object.values(sizes).reduce((x, y) => x + Number(y), 0)).toBeLessThanOrEqual(0.01);
    expect(() => allocationShares({ a: -1 }, 0.1)).toThrow(/fill rate of venue a/);
  });

  it("a venue quotes its own share of the ladder's size; a venue missing from the rates keeps the full size", () => {
    const p = params({ allocation: { enabled: true, minShare: 0.1 } });
    const full = decideQuotes(inputs(), params(), market());
    const rates = { [market().venue]: 1, other: 3 };
    const shares = allocationShares(rates, 0.1);
    const mine = shares[market().venue] as number;
    const split = decideQuotes(inputs({ signals: { venueFillRates: rates } }), p, market());
    const fired = split.rules.find((r) => r.rule === 'venue-allocation');
    expect(fired?.detail['applied']).toBeCloseTo(mine, 12);
    const total = (d: typeof full) => d.bids.concat(d.asks).reduce((x, l) => x + Number(l.amount), 0);
    // Lot rounding only ever takes away.
    expect(total(split)).toBeLessThanOrEqual(total(full) * mine + 1e-12);
    expect(total(split)).toBeGreaterThan(total(full) * mine * 0.9);
    const elsewhere = decideQuotes(inputs({ signals: { venueFillRates: { a: 1, b: 3 } } }), p, market());
    expect(total(elsewhere)).toBeCloseTo(total(full), 12);
  });
});
