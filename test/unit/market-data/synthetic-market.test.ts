import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/config/engine-config.js';
import type { BookEvent } from '../../../src/market-data/market-event.js';
import {
  parseSyntheticParams,
  SYNTHETIC_START_MS,
  SyntheticMarketError,
  syntheticMarketEvents,
  syntheticPath,
} from '../../../src/market-data/synthetic-market.js';
import { collect } from './fixtures.js';
import { deriveSeed, SeededRandom } from '../../../src/core/seeded-random.js';

describe('the seeded random source', () => {
  it('is reproducible per seed, differs between seeds, and gives uniforms in [0, 1) and standard normals', () => {
    const draw = (seed: number) => {
      const g = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => g.nextDouble());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));

    const g = new SeededRandom(123);
    const n = 100_000;
    let sumU = 0;
    let outside = 0;
    let sumZ = 0;
    let sumZ2 = 0;
    for (let i = 0; i < n; i++) {
      const u = g.nextDouble();
      if (!(u >= 0 && u < 1)) outside++;
      sumU += u;
      const z = g.nextNormal();
      sumZ += z;
      sumZ2 += z * z;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sumU / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumZ / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sumZ2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });

  it('deriveSeed gives a distinct, stable seed per (seed, path, stream), and refuses a bad seed', () => {
    const seeds = new Set<number>();
    for (let path = 0; path < 100; path++) for (const stream of [1, 2]) seeds.add(deriveSeed(42, path, stream));
    expect(seeds.size).toBe(200);
    expect(deriveSeed(42, 3, 1)).toBe(deriveSeed(42, 3, 1));
    expect(deriveSeed(42, 3, 1)).not.toBe(deriveSeed(43, 3, 1));
    expect(deriveSeed(2 ** 40, 0)).not.toBe(deriveSeed(0, 0));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(() => deriveSeed(-1)).toThrow(RangeError);
    expect(() => deriveSeed(1.5)).toThrow(/non-negative safe integer/);
  });
});

describe('parameters', () => {
  it('defaults to the Avellaneda–Stoikov simulation, one second per step', () => {
    expect(parseSyntheticParams()).toEqual({
      s0: 100,
      sigma: 2,
      dt: 0.005,
      T: 1,
      A: 140,
      k: 1.5,
      tickSize: '0.01',
      bookSize: 100,
      venue: 'synthetic',
      symbol: 'SYNUSD',
      startMs: SYNTHETIC_START_MS,
      timeUnitMs: 200_000,
      seed: 0,
      steps: 200,
      stepMs: 1000,
    });
  });

  it.each([
    [{ T: 1, dt: 0.003 }, /T: T \/ dt must be a whole number of steps/],
    [{ timeUnitMs: 150 }, /timeUnitMs: dt x timeUnitMs must be a whole number of milliseconds/],
    [{ sigma: -1 }, /sigma: /],
    [{ s0: 0 }, /s0: /],
    [{ tickSize: '0' }, /tickSize: must be > 0/],
    [{ seed: -3 }, /seed: /],
    [{ gamma: 0.1 }, /Unrecognized key/],
  ])('refuses %j as bad input (a ConfigError naming the parameter)', (input, message) => {
    let err: unknown;
    try {
      parseSyntheticParams(input as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyntheticMarketError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('stops with a clear error when the arithmetic Brownian mid would go below zero', () => {
    expect(() => [...syntheticPath({ s0: 0.5, sigma: 50, seed: 1 })]).toThrow(/the mid fell to .* at step \d+ \(seed 1\): an arithmetic Brownian motion can go below zero/);
  });
});

describe('the mid path and its events', () => {
  it('emits T/dt + 1 one-tick-wide books around the mid, at start + step x dt x timeUnitMs', async () => {
    const source = syntheticMarketEvents({ seed: 5 });
    const events = (await collect(source)) as BookEvent[];
    const path = [...syntheticPath({ seed: 5 })];
    expect(events).toHaveLength(201);
    expect(events.map((e) => e.ts)).toEqual(Array.from({ length: 201 }, (_, n) => SYNTHETIC_START_MS + n * 1000));
    events.forEach((e, n) => {
      expect(e).toMatchObject({ kind: 'book', venue: 'synthetic', symbol: 'SYNUSD', sequence: n + 1 });
      const bid = e.bids[0]!.price;
      const ask = e.asks[0]!.price;
      const mid = path[n]!.mid;
      expect(bid).toBeLessThanOrEqual(mid);
      expect(ask).toBeGreaterThan(mid);
      expect(Math.round((ask - bid) * 100)).toBe(1);
      expect(String(bid)).toMatch(/^\d+(\.\d{1,2})?$/); // on the tick grid, no float noise
      expect(e.bids[0]!.size).toBe(100);
    });
    expect(path[0]!.mid).toBe(100);
    expect(source.stats).toMatchObject({ messagesRead: 201, eventsEmitted: 201, eventsByKind: { book: 201 }, firstTs: SYNTHETIC_START_MS, lastTs: SYNTHETIC_START_MS + 200_000, lastMid: path[200]!.mid });
  });

  it('the same seed gives byte-identical events; another seed a different path', async () => {
    const a = JSON.stringify(await collect(syntheticMarketEvents({ seed: 11 })));
    const b = JSON.stringify(await collect(syntheticMarketEvents({ seed: 11 })));
    const c = JSON.stringify(await collect(syntheticMarketEvents({ seed: 12 })));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const again = syntheticMarketEvents({ seed: 11 });
    expect(JSON.stringify(await collect(again))).toBe(JSON.stringify(await collect(again)));
  });

  it('increments are N(0, sigma^2 dt), independent (fixed seed, 4-standard-error tolerances)', () => {
    const sigma = 2;
    const dt = 0.005;
    const mids = [...syntheticPath({ sigma, dt, T: 200, s0: 1000, seed: 2024 })].map((p) => p.mid);
    const inc = mids.slice(1).map((m, i) => m - mids[i]!);
    const n = inc.length;
    expect(n).toBe(40_000);
    const variance = sigma * sigma * dt;
    const mean = inc.reduce((a, b) => a + b, 0) / n;
    const sampleVar = inc.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(variance / n));
    expect(Math.abs(sampleVar / variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    // Normal shape: 68.27 % within one standard deviation.
    const within = inc.filter((x) => Math.abs(x) <= Math.sqrt(variance)).length / n;
    expect(Math.abs(within - 0.6827)).toBeLessThan(4 * Math.sqrt((0.6827 * 0.3173) / n));
    // No lag-1 autocorrelation.
    let cov = 0;
    for (let i = 1; i < n; i++) cov += (inc[i]! - mean) * (inc[i - 1]! - mean);
    expect(Math.abs(cov / (n - 1) / sampleVar)).toBeLessThan(4 / Math.sqrt(n));
  });

  it('sigma 0 is a flat market; timeUnitMs sets the step length', async () => {
    const events = (await collect(syntheticMarketEvents({ sigma: 0, T: 0.05, timeUnitMs: 100_000, startMs: 0 }))) as BookEvent[];
    expect(events.map((e) => e.ts)).toEqual(Array.from({ length: 11 }, (_, n) => n * 500));
    expect(new Set(events.map((e) => `${e.bids[0]?.price}/${e.asks[0]?.price}`))).toEqual(new Set(['100/100.01']));
  });
});
