import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  emptyVolatility,
  realisedVolatilityBps,
  sampleMid,
  spreadMultiplier,
  type VolatilityParams,
  type VolatilityState,
} from '../../../src/strategy/volatility.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { deepFreeze } from './fixtures.js';

const P: VolatilityParams = { sampleIntervalMs: 1_000, windowSamples: 60, k: 0.5, maxMultiplier: 3 };

/** Samples mids one interval apart, starting at ts 0. */
function series(mids: readonly number[], p: VolatilityParams = P): VolatilityState {
  return mids.reduce((s, mid, i) => sampleMid(s, i * p.sampleIntervalMs, mid, p), emptyVolatility());
}

describe('sampleMid', () => {
  it('takes at most one sample per interval, when ts >= last sample + interval', () => {
    let s = emptyVolatility();
    const feed: Array<[number, number]> = [
      [0, 100],
      [500, 101],
      [999, 102],
      [1_000, 103],
      [1_999, 104],
      [2_000, 105],
    ];
    for (const [ts, mid] of feed) s = sampleMid(s, ts, mid, P);
    expect(s).toEqual({ lastSampleTs: 2_000, mids: [100, 103, 105] });
  });

  it('never mutates its input state', () => {
    const before = deepFreeze(series([100, 101]));
    const after = sampleMid(before, 5_000, 102, P);
    expect(before.mids).toEqual([100, 101]);
    expect(after.mids).toEqual([100, 101, 102]);
  });

  it('keeps the last windowSamples + 1 mids (windowSamples returns)', () => {
    const p = { ...P, windowSamples: 3 };
    const s = series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p);
    expect(s.mids).toEqual([7, 8, 9, 10]);
    expect(s.lastSampleTs).toBe(9_000);
  });

  it('rejects a non-positive mid', () => {
    expect(() => sampleMid(emptyVolatility(), 0, 0, P)).toThrow(StrategyInputError);
  });
});

describe('realisedVolatilityBps', () => {
  it('is 0 with fewer than two returns', () => {
    expect(realisedVolatilityBps(emptyVolatility())).toBe(0);
    expect(realisedVolatilityBps(series([100]))).toBe(0);
    expect(realisedVolatilityBps(series([100, 105]))).toBe(0);
  });

  it('is exactly 0 for a constant price', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e7, noNaN: true }), fc.integer({ min: 0, max: 80 }), (price, n) => {
        expect(realisedVolatilityBps(series(Array.from({ length: n }, () => price)))).toBe(0);
      }),
    );
  });

  it('matches the closed form for alternating returns +r, -r, +r, -r', () => {
    // Returns r, -r, r, -r: mean 0, sum of squares 4r^2, sample variance 4r^2 / 3.
    const r = Math.log(101 / 100);
    const expected = Math.sqrt((4 * r * r) / 3) * 1e4;
    expect(realisedVolatilityBps(series([100, 101, 100, 101, 100]))).toBeCloseTo(expected, 9);
    expect(expected).toBeCloseTo(114.9, 0); // sanity: about 115 bps
  });

  it('matches the definition on an irregular series', () => {
    const mids = [100, 101, 99.5, 102, 101.2, 101.2, 98.7];
    // Definition, written out: log returns, their mean, sum of squared deviations / (n - 1), sqrt, in bps.
    const returns = mids.slice(1).map((m, i) => Math.log(m / (mids[i] as number)));
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const variance = returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1);
    expect(realisedVolatilityBps(series(mids))).toBeCloseTo(Math.sqrt(variance) * 1e4, 9);
  });

  it('only uses the window: old moves drop out', () => {
    const p = { ...P, windowSamples: 3 };
    const wild = series([100, 150, 80, 100, 100, 100, 100], p);
    expect(realisedVolatilityBps(wild)).toBe(0);
  });

  it('does not depend on the price level (log returns)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 3, maxLength: 30 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (mids, scale) => {
          const a = realisedVolatilityBps(series(mids));
          const b = realisedVolatilityBps(series(mids.map((m) => m * scale)));
          expect(Math.abs(a - b)).toBeLessThan(1e-6 * Math.max(1, a));
        },
      ),
    );
  });
});

describe('spreadMultiplier', () => {
  it('is 1 + k x vol below the cap', () => {
    expect(spreadMultiplier(0, P)).toBe(1);
    expect(spreadMultiplier(2, P)).toBe(1 + 0.5 * 2);
  });

  it('is capped at maxMultiplier', () => {
    // 1 + 0.5 x 4 = 3 reaches the cap exactly; beyond it stays there.
    expect(spreadMultiplier(4, P)).toBe(3);
    expect(spreadMultiplier(1_000, P)).toBe(3);
  });

  it('is non-decreasing and within [1, maxMultiplier]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(spreadMultiplier(lo, P)).toBeLessThanOrEqual(spreadMultiplier(hi, P));
        expect(spreadMultiplier(hi, P)).toBeGreaterThanOrEqual(1);
        expect(spreadMultiplier(hi, P)).toBeLessThanOrEqual(P.maxMultiplier);
      }),
    );
  });

  it('rejects negative or non-finite volatility', () => {
    expect(() => spreadMultiplier(-1, P)).toThrow(StrategyInputError);
    expect(() => spreadMultiplier(Number.NaN, P)).toThrow(StrategyInputError);
  });
});
