import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  emptyShockWindow,
  isShock,
  measureShock,
  pushShockSample,
  type ShockWindow,
  withinResumeBand,
} from '../../../src/strategy/shock.js';
import { StrategyInputError } from '../../../src/strategy/strategy-error.js';
import { deepFreeze } from './fixtures.js';

const WINDOW_MS = 5_000;
const THRESHOLD_PCT = 2;

/** Feeds (ts, mid) pairs and returns the largest move seen at any push. */
function maxMoveWhileFeeding(feed: ReadonlyArray<readonly [number, number]>, windowMs = WINDOW_MS): number {
  let w: ShockWindow = emptyShockWindow();
  let max = 0;
  for (const [ts, mid] of feed) {
    w = pushShockSample(w, ts, mid, windowMs);
    max = Math.max(max, measureShock(w, mid).movePct);
  }
  return max;
}

describe('shock window', () => {
  it('detects a 3% move inside the window, measured from the pre-move sample', () => {
    let w = emptyShockWindow();
    w = pushShockSample(w, 0, 100, WINDOW_MS);
    w = pushShockSample(w, 1_000, 100.5, WINDOW_MS);
    w = pushShockSample(w, 2_000, 103, WINDOW_MS);
    const m = measureShock(w, 103);
    expect(m.referencePrice).toBe(100);
    expect(m.movePct).toBeCloseTo(3, 9);
    expect(isShock(m, THRESHOLD_PCT)).toBe(true);
  });

  it('does not flag the same 3% move spread over twice the window', () => {
    // 100 -> 103 linearly over 10 s, a sample every 250 ms: any 5 s slice moves about 1.5%.
    const feed = Array.from({ length: 41 }, (_, i) => [i * 250, 100 + (3 * i) / 40] as const);
    expect((feed[40]?.[1] ?? 0) / 100 - 1).toBeCloseTo(0.03, 12);
    const max = maxMoveWhileFeeding(feed);
    expect(max).toBeLessThan(THRESHOLD_PCT);
    expect(max).toBeGreaterThan(1.4); // the window really did see the drift
  });

  it('detects a spike that reverses inside the window (the move back counts too)', () => {
    let w = emptyShockWindow();
    w = pushShockSample(w, 0, 100, WINDOW_MS);
    w = pushShockSample(w, 500, 103, WINDOW_MS);
    const m = measureShock(w, 100);
    expect(m.referencePrice).toBe(103);
    expect(m.movePct).toBeCloseTo((3 / 103) * 100, 9);
    expect(isShock(m, THRESHOLD_PCT)).toBe(true);
  });

  it('drops samples older than windowMs, keeps one exactly windowMs old', () => {
    let w = emptyShockWindow();
    for (const ts of [0, 1_000, 2_000]) w = pushShockSample(w, ts, 100, WINDOW_MS);
    w = pushShockSample(w, 6_000, 100, WINDOW_MS);
    expect(w.samples.map((s) => s.ts)).toEqual([1_000, 2_000, 6_000]);
  });

  it('forgets an old price level once it leaves the window', () => {
    let w = emptyShockWindow();
    w = pushShockSample(w, 0, 100, WINDOW_MS);
    w = pushShockSample(w, 5_001, 103, WINDOW_MS);
    expect(measureShock(w, 103).movePct).toBe(0);
  });

  it('is immutable', () => {
    const w0 = deepFreeze(pushShockSample(emptyShockWindow(), 0, 100, WINDOW_MS));
    const w1 = pushShockSample(w0, 10_000, 101, WINDOW_MS);
    expect(w0.samples).toEqual([{ ts: 0, mid: 100 }]);
    expect(w1.samples).toEqual([{ ts: 10_000, mid: 101 }]);
  });

  it('measures 0 against an empty window', () => {
    expect(measureShock(emptyShockWindow(), 100)).toEqual({ movePct: 0, referencePrice: 100 });
  });

  it('rejects samples that go back in time', () => {
    const w = pushShockSample(emptyShockWindow(), 1_000, 100, WINDOW_MS);
    expect(() => pushShockSample(w, 999, 100, WINDOW_MS)).toThrow(StrategyInputError);
  });

  it('a move of exactly the threshold is not a shock ("more than")', () => {
    expect(isShock({ movePct: 2, referencePrice: 100 }, 2)).toBe(false);
    expect(isShock({ movePct: 2.0001, referencePrice: 100 }, 2)).toBe(true);
  });

  it('the measured move is the largest deviation from any sample in the window', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.double({ min: 1, max: 1e6, noNaN: true }), (mids, mid) => {
        let w = emptyShockWindow();
        mids.forEach((m, i) => (w = pushShockSample(w, i, m, 1_000_000)));
        const measure = measureShock(w, mid);
        for (const m of mids) expect(measure.movePct).toBeGreaterThanOrEqual((Math.abs(mid - m) / m) * 100);
        expect(mids).toContain(measure.referencePrice);
        expect(measure.movePct).toBeCloseTo((Math.abs(mid - measure.referencePrice) / measure.referencePrice) * 100, 9);
      }),
    );
  });
});

describe('withinResumeBand', () => {
  it('is inclusive of the band edge and symmetric around the reference', () => {
    expect(withinResumeBand(100.4, 100, 0.5)).toBe(true);
    expect(withinResumeBand(99.6, 100, 0.5)).toBe(true);
    expect(withinResumeBand(100, 100, 0)).toBe(true);
    expect(withinResumeBand(100.6, 100, 0.5)).toBe(false);
    expect(withinResumeBand(99.4, 100, 0.5)).toBe(false);
  });

  it('rejects a non-positive reference', () => {
    expect(() => withinResumeBand(100, 0, 0.5)).toThrow(StrategyInputError);
  });
});
