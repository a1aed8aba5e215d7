import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ToxicityParamsSchema, type ToxicityParams } from '../../../src/config/params/risk-params.js';
import {
  checkFillVolumeSpike,
  checkMarkout,
  checkOneSidedFills,
  checkShortVolatility,
  checkTradeImbalance,
  emptyToxicity,
  fillVolumeRatio,
  keepWindow,
  markoutBps,
  realisedVolatilityPct,
  settleMarkouts,
  toxicityOnFill,
  toxicityOnMid,
  toxicityOnTrade,
  tradeImbalance,
  type MarketTrade,
  type OwnFillSample,
} from '../../../src/risk/toxicity-signals.js';

const on = (over: Record<string, unknown> = {}): ToxicityParams =>
  ToxicityParamsSchema.parse({
    tradeImbalance: { enabled: true },
    volatility: { enabled: true },
    oneSidedFills: { enabled: true },
    fillVolumeSpike: { enabled: true },
    markout: { enabled: true },
    ...over,
  });

const trades = (buy: number, sell: number): MarketTrade[] => [
  ...Array.from({ length: buy }, (_, i) => ({ ts: i, size: 1, aggressor: 'buy' as const })),
  ...Array.from({ length: sell }, (_, i) => ({ ts: buy + i, size: 1, aggressor: 'sell' as const })),
];

describe('trade imbalance', () => {
  it('is signed net volume over total volume', () => {
    expect(tradeImbalance(trades(3, 1)).imbalance).toBeCloseTo(0.5);
    expect(tradeImbalance([]).imbalance).toBe(0);
  });

  it('fires at the threshold, not below', () => {
    const p = on().tradeImbalance; // threshold 0.7, minTrades 5
    // 17 buys, 3 sells: 14/20 = 0.7 exactly.
    expect(checkTradeImbalance(trades(17, 3), p)).toMatchObject({ signal: 'trade-imbalance', value: 0.7, threshold: 0.7 });
    // 33 buys, 7 sells: 26/40 = 0.65.
    expect(checkTradeImbalance(trades(33, 7), p)).toBeNull();
  });

  it('needs minTrades, and does nothing when disabled', () => {
    expect(checkTradeImbalance(trades(4, 0), on().tradeImbalance)).toBeNull();
    expect(checkTradeImbalance(trades(50, 0), ToxicityParamsSchema.parse({}).tradeImbalance)).toBeNull();
  });

  it('counts only trades within the window', () => {
    const p = on();
    let s = emptyToxicity();
    for (let i = 0; i < 10; i++) s = toxicityOnTrade(s, p, { ts: i * 100, size: 1, aggressor: 'buy' }).state;
    // 2 s later, one sell: the buys are out of the 1 s window.
    const u = toxicityOnTrade(s, p, { ts: 3_000, size: 1, aggressor: 'sell' });
    expect(u.state.trades).toHaveLength(1);
    expect(u.alarm).toBeNull();
  });
});

describe('short-term volatility', () => {
  it('is the root of summed squared log returns, in percent', () => {
    const v = realisedVolatilityPct([{ ts: 0, mid: 100 }, { ts: 1, mid: 101 }, { ts: 2, mid: 100 }]);
    expect(v).toBeCloseTo(Math.sqrt(Math.log(1.01) ** 2 + Math.log(100 / 101) ** 2) * 100, 10);
  });

  it('fires at the threshold, not below', () => {
    const up = Math.exp(0.02 + 1e-12); // a hair over 2 %, past float rounding
    expect(checkShortVolatility([{ ts: 0, mid: 100 }, { ts: 1, mid: 100 * up }], on().volatility)?.value).toBeCloseTo(2, 9);
    expect(checkShortVolatility([{ ts: 0, mid: 100 }, { ts: 1, mid: 101.9 }], on().volatility)).toBeNull();
  });

  it('catches a whipsaw that ends where it began', () => {
    const p = on({ volatility: { enabled: true, thresholdPct: 2 } });
    let s = emptyToxicity();
    let alarm = null;
    for (const [ts, mid] of [[0, 100], [1_000, 101.5], [2_000, 100], [3_000, 101.5], [4_000, 100]] as const) {
      const u = toxicityOnMid(s, p, ts, mid);
      s = u.state;
      alarm = u.alarm ?? alarm;
    }
    expect(alarm?.signal).toBe('short-volatility');
  });
});

const fill = (ts: number, side: 'buy' | 'sell', amount = 1, price = 100): OwnFillSample => ({ ts, side, amount, price });

describe('one-sided fills', () => {
  it('fires when the last N fills are on one side, not N-1', () => {
    const p = on().oneSidedFills; // count 5
    expect(checkOneSidedFills([fill(0, 'sell'), ...[1, 2, 3, 4, 5].map((t) => fill(t, 'buy'))], p)?.detail).toContain('buys');
    expect(checkOneSidedFills([fill(0, 'sell'), ...[1, 2, 3, 4].map((t) => fill(t, 'buy'))], p)).toBeNull();
  });

  it('keeps the last N fills whatever their age', () => {
    const p = on({ fillVolumeSpike: { enabled: false } });
    let s = emptyToxicity();
    let alarm = null;
    for (let i = 0; i < 5; i++) ({ state: s, alarm } = toxicityOnFill(s, p, fill(i * 3_600_000, 'sell')));
    expect(alarm?.signal).toBe('one-sided-fills');
    expect(s.fills).toHaveLength(5);
  });
});

describe('own fill volume spike', () => {
  const p = on().fillVolumeSpike; // window 10 s, baseline 300 s, 3x, min 3 fills
  const baseline = [0, 60_000, 120_000, 180_000, 240_000].map((t) => fill(t, 'buy', 1)); // 5 over 300 s: 1/6 per window

  it('compares the recent window with the average per window of the baseline', () => {
    const m = fillVolumeRatio([...baseline, fill(301_000, 'sell', 0.5)], 305_000, p);
    expect(m.baselinePerWindow).toBeCloseTo(5 / 30, 12);
    expect(m.ratio).toBeCloseTo(3, 12);
  });

  it('fires at the multiple, not below', () => {
    expect(checkFillVolumeSpike([...baseline, fill(301_000, 'sell', 0.5)], 305_000, p)?.value).toBeCloseTo(3, 12);
    expect(checkFillVolumeSpike([...baseline, fill(301_000, 'sell', 0.49)], 305_000, p)).toBeNull();
  });

  it('needs a baseline', () => {
    expect(checkFillVolumeSpike([fill(0, 'buy'), fill(301_000, 'sell', 10)], 305_000, p)).toBeNull();
  });
});

describe('markout', () => {
  it('is signed against us: a buy followed by a lower mid is negative', () => {
    expect(markoutBps('buy', 100, 99.9)).toBeCloseTo(-10);
    expect(markoutBps('sell', 100, 99.9)).toBeCloseTo(10);
  });

  it('settles a fill at the first mid at or after its horizon', () => {
    const p = on().markout; // 5 s horizon
    const s0 = { pending: [fill(0, 'buy')], settled: [] };
    expect(settleMarkouts(s0, 4_999, 99, p).settledNow).toBe(0);
    const r = settleMarkouts(s0, 5_000, 99.95, p);
    expect(r.settledNow).toBe(1);
    expect(r.state.settled[0]).toBeCloseTo(-5);
  });

  it('fires when the average of the last N reaches minus the threshold, not above', () => {
    const p = on().markout; // 5 fills, 5 bps
    expect(checkMarkout({ pending: [], settled: [-5, -5, -5, -5, -5] }, p)?.value).toBeCloseTo(-5);
    expect(checkMarkout({ pending: [], settled: [-4.9, -5, -5, -5, -5] }, p)).toBeNull();
    expect(checkMarkout({ pending: [], settled: [-9, -9, -9, -9] }, p)).toBeNull();
  });

  it('raises the alarm only when a markout settles', () => {
    const p = on({ volatility: { enabled: false }, oneSidedFills: { enabled: false }, fillVolumeSpike: { enabled: false } });
    let s = emptyToxicity();
    for (let i = 0; i < 5; i++) s = toxicityOnFill(s, p, fill(i, 'buy')).state;
    const settled = toxicityOnMid(s, p, 6_000, 99.9);
    expect(settled.alarm?.signal).toBe('markout');
    expect(toxicityOnMid(settled.state, p, 7_000, 99.9).alarm).toBeNull();
  });
});

describe('defaults', () => {
  it('every signal is off by default and the state does not change', () => {
    const p = ToxicityParamsSchema.parse({});
    const s = emptyToxicity();
    expect(toxicityOnTrade(s, p, { ts: 1, size: 1, aggressor: 'buy' }).state).toBe(s);
    expect(toxicityOnMid(s, p, 1, 100).state).toBe(s);
    expect(toxicityOnFill(s, p, fill(1, 'buy')).alarm).toBeNull();
  });

  it('keepWindow keeps exactly the items within the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 })), fc.integer({ min: 0, max: 5_000 }), (times, windowMs) => {
        const items = [...times].sort((a, b) => a - b).map((ts) => ({ ts }));
        const now = items.length ? (items[items.length - 1] as { ts: number }).ts : 0;
        expect(keepWindow(items, now, windowMs)).toEqual(items.filter((i) => i.ts >= now - windowMs));
      }),
    );
  });
});
